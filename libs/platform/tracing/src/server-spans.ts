import { context, propagation, Span, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { suppressTracing } from '@opentelemetry/core';

/* The slice of Fastify's API used here (the tracing lib does not depend on the HTTP adapter). */
export interface TracedRequest {
  readonly method: string;
  readonly url: string;
  readonly is404: boolean;
  readonly routeOptions: { readonly url?: string };
  readonly headers: Record<string, string | string[] | undefined>;
}
interface TracedReply {
  readonly statusCode: number;
}
type Done = (error?: Error) => void;
type Hook = (request: TracedRequest, reply: TracedReply, done: Done) => void;
export interface ServerSpanHooksTarget {
  addHook(name: 'onRequest' | 'onResponse', hook: Hook): unknown;
}

/** Paths probed every few seconds by Kubernetes and Prometheus: tracing them would only add noise and cost. */
export function isOperationalPath(url: string | undefined): boolean {
  if (url === undefined) return false;
  return url.startsWith('/health/') || url === '/metrics' || url.startsWith('/metrics?');
}
const spans = new WeakMap<TracedRequest, Span>();

/**
 * Server spans from two Fastify hooks instead of the http instrumentation's incoming side. The
 * instrumentation binds every request and response object to a context and wraps their emitters, whether
 * or not the trace is sampled; here an unsampled request costs one propagator extract, one sampler decision
 * and one AsyncLocalStorage scope. The span is named after the route template (`GET /api/v1/products/:id`),
 * continues an incoming `traceparent`, and is the parent of the Nest and pg spans of the request.
 */
export function registerServerSpans(fastify: ServerSpanHooksTarget, tracerName: string): void {
  const tracer = trace.getTracer(tracerName);
  fastify.addHook('onRequest', (request, _reply, done) => {
    // Suppressed, not just unsampled: Nest's and pg's instrumentations would otherwise start traces of their own.
    if (isOperationalPath(request.url)) return context.with(suppressTracing(context.active()), done);
    const parent = propagation.extract(context.active(), request.headers);
    const route = request.is404 ? undefined : request.routeOptions.url;
    const span = tracer.startSpan(
      route ? `${request.method} ${route}` : request.method,
      {
        kind: SpanKind.SERVER,
        attributes: {
          'http.request.method': request.method,
          // The path only: query strings may carry personal data (?email=).
          'url.path': request.url.split('?')[0],
          ...(route ? { 'http.route': route } : {}),
        },
      },
      parent,
    );
    spans.set(request, span);
    context.with(trace.setSpan(parent, span), done);
  });
  fastify.addHook('onResponse', (request, reply, done) => {
    const span = spans.get(request);
    if (span) {
      spans.delete(request);
      span.setAttribute('http.response.status_code', reply.statusCode);
      if (reply.statusCode >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
      span.end();
    }
    done();
  });
}
