import { DynamicModule, Module, OnModuleInit } from '@nestjs/common';
import type { HttpAdapterHost } from '@nestjs/core';
import { context } from '@opentelemetry/api';
import { getRPCMetadata, RPCType } from '@opentelemetry/core';

import { isTracingStarted } from './tracing';

/* The slice of Fastify's API used here (`fastify` is only a transitive dependency, so not imported). */
interface FastifyRequestView {
  readonly is404: boolean;
  readonly routeOptions: { readonly url?: string };
}
type OnRequestHook = (request: FastifyRequestView, reply: unknown, done: () => void) => void;
interface FastifyHooksView {
  addHook(name: 'onRequest', hook: OnRequestHook): unknown;
}

/**
 * Hands the matched route template to the HTTP server span, which the http instrumentation then names
 * `GET /api/v1/products/:id` and marks with `http.route`; without it every server span is just `GET`.
 * Runs only while tracing is on.
 */
const nameServerSpanAfterRoute: OnRequestHook = (request, _reply, done) => {
  const rpc = getRPCMetadata(context.active());
  if (rpc?.type === RPCType.HTTP && !request.is404) rpc.route = request.routeOptions.url;
  done();
};

export class ServerSpanRouteNamer implements OnModuleInit {
  constructor(private readonly adapterHost: HttpAdapterHost) {}

  // Nest calls this after registering its routes and before Fastify is ready, while hooks can still be added.
  onModuleInit(): void {
    if (!isTracingStarted()) return;
    const adapter = this.adapterHost.httpAdapter as HttpAdapterHost['httpAdapter'] | undefined;
    if (adapter?.getType() !== 'fastify') return;
    adapter.getInstance<FastifyHooksView>().addHook('onRequest', nameServerSpanAfterRoute);
  }
}

/** Nest side of tracing: names server spans after their route. Tracing itself starts in `instrument.ts`. */
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
          provide: ServerSpanRouteNamer,
          useFactory: (adapterHost: HttpAdapterHost) => new ServerSpanRouteNamer(adapterHost),
          inject: [HttpAdapterHost],
        },
      ],
    };
  }
}
