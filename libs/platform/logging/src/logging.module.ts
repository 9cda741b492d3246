import { LogEnv } from '@emporium/platform/config';
import { activeTraceContext } from '@emporium/platform/tracing';
import { DynamicModule, Inject, Module, OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { LoggerModule, Params, PARAMS_PROVIDER_TOKEN } from 'nestjs-pino';
import pino, { Logger as PinoInstance } from 'pino';

import { redactPaths } from './redaction';
import { currentRequestId, registerRequestLogging, RequestHooksTarget } from './request-logging';

/** Adds the request id and the active trace and span ids to every line logged inside a request. */
export function contextMixin(): Record<string, string> {
  const requestId = currentRequestId();
  const trace = activeTraceContext();
  return { ...(requestId ? { requestId } : {}), ...trace };
}

export interface LoggingModuleOptions {
  service: string;
  version: string;
}

export function createRootLogger(options: LoggingModuleOptions, level: string): PinoInstance {
  return pino({
    level,
    base: { service: options.service, version: options.version },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label: string) => ({ level: label }) },
    messageKey: 'msg',
    mixin: contextMixin,
    redact: { paths: redactPaths(), censor: '[REDACTED]' },
  });
}

/**
 * JSON lines through nestjs-pino (Nest's own logs and every `Logger` in the app) on one pino instance, plus
 * one line per finished request (health and metrics probes excepted); request id and trace id on every line,
 * secrets redacted.
 */
@Module({})
export class LoggingModule implements OnModuleInit {
  constructor(
    private readonly adapterHost: HttpAdapterHost,
    @Inject(PARAMS_PROVIDER_TOKEN) private readonly params: Params,
  ) {}

  static forRoot(options: LoggingModuleOptions): DynamicModule {
    return {
      module: LoggingModule,
      global: true,
      imports: [
        LoggerModule.forRootAsync({
          inject: [LogEnv],
          // No per-request middleware (forRoutes: []): request lines and context come from the hooks below.
          useFactory: (env: LogEnv) => ({
            pinoHttp: { logger: createRootLogger(options, env.LOG_LEVEL) },
            forRoutes: [],
          }),
        }),
      ],
      exports: [LoggerModule],
    };
  }

  // After Nest registered its routes and before Fastify is ready, while hooks can still be added.
  onModuleInit(): void {
    const adapter = this.adapterHost.httpAdapter as HttpAdapterHost['httpAdapter'] | undefined;
    const root = (this.params.pinoHttp as { logger?: PinoInstance } | undefined)?.logger;
    if (adapter?.getType() !== 'fastify' || !root) return;
    registerRequestLogging(adapter.getInstance<RequestHooksTarget>(), root);
  }
}
