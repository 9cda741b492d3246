import { DynamicModule, Module, OnModuleInit } from '@nestjs/common';
import type { HttpAdapterHost } from '@nestjs/core';

import { registerServerSpans, ServerSpanHooksTarget } from './server-spans';
import { isTracingStarted } from './tracing';

export class ServerSpans implements OnModuleInit {
  constructor(
    private readonly adapterHost: HttpAdapterHost,
    private readonly tracerName: string,
  ) {}

  // Nest calls this after registering its routes and before Fastify is ready, while hooks can still be added.
  onModuleInit(): void {
    if (!isTracingStarted()) return;
    const adapter = this.adapterHost.httpAdapter as HttpAdapterHost['httpAdapter'] | undefined;
    if (adapter?.getType() !== 'fastify') return;
    registerServerSpans(adapter.getInstance<ServerSpanHooksTarget>(), this.tracerName);
  }
}

/** Nest side of tracing: server spans from Fastify hooks. Tracing itself starts in `instrument.ts`. */
@Module({})
export class TracingModule {
  static forRoot(): DynamicModule {
    // Required here, not imported: `instrument.ts` imports this lib before startTracing runs, and
    // @nestjs/core loaded that early would never be patched by the Nest instrumentation.
    const { HttpAdapterHost } = require('@nestjs/core') as typeof import('@nestjs/core');
    return {
      module: TracingModule,
      global: true,
      providers: [
        {
          provide: ServerSpans,
          useFactory: (adapterHost: HttpAdapterHost) =>
            new ServerSpans(adapterHost, '@emporium/platform/tracing'),
          inject: [HttpAdapterHost],
        },
      ],
    };
  }
}
