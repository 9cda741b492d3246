export * from './logging.module';
export * from './redaction';
export * from './request-id';
export * from './request-logging';
export { Logger, PinoLogger } from 'nestjs-pino';
