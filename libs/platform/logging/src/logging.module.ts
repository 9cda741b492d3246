import type { IncomingMessage } from 'node:http';

import { LogEnv } from '@emporium/platform/config';
import { DynamicModule, Module, RequestMethod } from '@nestjs/common';
import { trace } from '@opentelemetry/api';
import { LoggerModule } from 'nestjs-pino';
import pino from 'pino';

import { redactPaths } from './redaction';
import { requestIdFor } from './request-id';

const QUIET_PATHS = ['/health/', '/metrics'];

/** Adds the active trace and span ids to every line logged inside a traced operation. */
export function traceMixin(): Record<string, string> {
  const context = trace.getActiveSpan()?.spanContext();
  return context ? { traceId: context.traceId, spanId: context.spanId } : {};
}

export interface LoggingModuleOptions {
  service: string;
  version: string;
}

/**
 * JSON lines through nestjs-pino: one line per finished request (health and metrics probes excepted), the
 * request id and trace id on every line, secrets redacted.
 */
@Module({})
export class LoggingModule {
  static forRoot(options: LoggingModuleOptions): DynamicModule {
    return {
      module: LoggingModule,
      imports: [
        LoggerModule.forRootAsync({
          inject: [LogEnv],
          useFactory: (env: LogEnv) => ({
            forRoutes: [{ path: '{*path}', method: RequestMethod.ALL }],
            pinoHttp: {
              level: env.LOG_LEVEL,
              base: { service: options.service, version: options.version },
              timestamp: pino.stdTimeFunctions.isoTime,
              formatters: { level: (label: string) => ({ level: label }) },
              messageKey: 'msg',
              mixin: traceMixin,
              redact: { paths: redactPaths(), censor: '[REDACTED]' },
              // Fastify assigns the id first (see createServiceApp); pino-http reuses req.id when set.
              genReqId: requestIdFor,
              customAttributeKeys: { reqId: 'requestId' },
              autoLogging: {
                ignore: (req: IncomingMessage) => QUIET_PATHS.some((path) => req.url?.startsWith(path)),
              },
              customLogLevel: (_req, res, error) =>
                error || res.statusCode >= 500 ? 'error' : res.statusCode >= 400 ? 'warn' : 'info',
              serializers: {
                req: (req: {
                  id: string;
                  method: string;
                  url: string;
                  headers: Record<string, unknown>;
                }) => ({
                  id: req.id,
                  method: req.method,
                  url: req.url,
                  userAgent: req.headers['user-agent'],
                }),
                res: (res: { statusCode: number }) => ({ statusCode: res.statusCode }),
              },
            },
          }),
        }),
      ],
      exports: [LoggerModule],
    };
  }
}
