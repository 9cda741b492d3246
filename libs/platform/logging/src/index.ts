export * from './logging.module';
export * from './redaction';
export * from './request-id';
export { Logger, PinoLogger } from 'nestjs-pino';
