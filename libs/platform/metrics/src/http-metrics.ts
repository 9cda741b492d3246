import { MetricsEnv } from '@emporium/platform/config';
import { Injectable, OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { Counter, Histogram } from 'prom-client';

import { MetricsService } from './metrics.service';

/** The route label of requests that matched no route, so scanners probing random paths add one series, not many. */
export const UNMATCHED_ROUTE = 'UNMATCHED';
/** The method label of anything outside the standard methods. */
export const OTHER_METHOD = 'OTHER';

/** 5 ms to 10 s: the range between a cached read and the request timeout. */
export const HTTP_DURATION_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10] as const;

const STANDARD_METHODS: ReadonlySet<string> = new Set([
  'GET',
  'HEAD',
  'POST',
  'PUT',
  'PATCH',
  'DELETE',
  'OPTIONS',
  'TRACE',
  'CONNECT',
]);

/*
 * The slice of Fastify's API the hook uses, typed here because `fastify` is only a transitive dependency
 * (through @nestjs/platform-fastify) and may not be imported directly. The integration spec runs it
 * against the real thing.
 */
interface FastifyRequestView {
  readonly method: string;
  /** True when no route matched (Fastify's 404 handler answered). */
  readonly is404: boolean;
  readonly routeOptions: { readonly url?: string };
}
interface FastifyReplyView {
  readonly statusCode: number;
  /** Milliseconds from receiving the request to finishing the response, measured by Fastify. */
  readonly elapsedTime: number;
}
type OnResponseHook = (request: FastifyRequestView, reply: FastifyReplyView, done: () => void) => void;
export interface FastifyHooksView {
  addHook(name: 'onResponse', hook: OnResponseHook): unknown;
}

type RedLabel = 'method' | 'route' | 'status_code';
type RedLabels = Readonly<Record<RedLabel, string>>;

/**
 * RED metrics for every HTTP request, recorded by one Fastify `onResponse` hook. Built for the hot path:
 * the duration is Fastify's own `reply.elapsedTime` (already measured, no extra clock read), and the label
 * object of each (route, method, status) is built once and reused, so a request allocates nothing here
 * beyond what prom-client does internally.
 */
export class HttpMetrics {
  readonly requests: Counter<RedLabel>;
  readonly duration: Histogram<RedLabel>;
  // route -> method -> status -> labels. Every key is bounded: routes by the app, methods by
  // STANDARD_METHODS, statuses by HTTP.
  private readonly labelCache = new Map<string, Map<string, Map<number, RedLabels>>>();

  constructor(metrics: MetricsService) {
    const labelNames: readonly RedLabel[] = ['method', 'route', 'status_code'];
    this.requests = metrics.counter({
      name: 'http_requests_total',
      help: 'HTTP requests answered, by method, route template and status code.',
      labelNames,
    });
    this.duration = metrics.histogram({
      name: 'http_request_duration_seconds',
      help: 'Time from receiving an HTTP request to finishing its response, by method, route template and status code.',
      labelNames,
      buckets: HTTP_DURATION_BUCKETS,
    });
  }

  /** `route` is the route template (`/api/v1/products/:id`) or undefined when nothing matched. */
  record(method: string, route: string | undefined, statusCode: number, seconds: number): void {
    const labels = this.labelsFor(method, route, statusCode);
    this.requests.inc(labels);
    this.duration.observe(labels, seconds);
  }

  /** Adds the recording hook; must run before the Fastify instance is ready. */
  attachTo(fastify: FastifyHooksView): void {
    fastify.addHook('onResponse', this.onResponse);
  }

  // A callback hook, not an async one: no promise per request.
  private readonly onResponse: OnResponseHook = (request, reply, done) => {
    // is404 reads the route context directly; routeOptions builds an object, so it is only read on a match.
    const route = request.is404 ? undefined : request.routeOptions.url;
    this.record(request.method, route, reply.statusCode, reply.elapsedTime / 1000);
    done();
  };

  private labelsFor(rawMethod: string, rawRoute: string | undefined, statusCode: number): RedLabels {
    const method = STANDARD_METHODS.has(rawMethod) ? rawMethod : OTHER_METHOD;
    const route = rawRoute ?? UNMATCHED_ROUTE;
    let byMethod = this.labelCache.get(route);
    if (!byMethod) {
      byMethod = new Map();
      this.labelCache.set(route, byMethod);
    }
    let byStatus = byMethod.get(method);
    if (!byStatus) {
      byStatus = new Map();
      byMethod.set(method, byStatus);
    }
    let labels = byStatus.get(statusCode);
    if (!labels) {
      labels = Object.freeze({ method, route, status_code: String(statusCode) });
      byStatus.set(statusCode, labels);
    }
    return labels;
  }
}

/**
 * Attaches HttpMetrics to the app's Fastify instance during `app.init()`. Nest runs onModuleInit after it
 * has registered its routes but before Fastify is ready, and Fastify resolves a route's hooks when it
 * becomes ready, so the hook still applies to every route, including the 404 handler.
 */
@Injectable()
export class HttpMetricsRecorder implements OnModuleInit {
  constructor(
    private readonly env: MetricsEnv,
    private readonly metrics: MetricsService,
    private readonly adapterHost: HttpAdapterHost,
  ) {}

  onModuleInit(): void {
    // Off means off: no hook at all, so a benchmark with METRICS_ENABLED=false pays nothing per request.
    if (!this.env.METRICS_ENABLED) return;
    const adapter = this.adapterHost.httpAdapter as HttpAdapterHost['httpAdapter'] | undefined;
    // An application context (e.g. `node main.js migrate`) has no HTTP server to measure.
    if (!adapter) return;
    if (adapter.getType() !== 'fastify')
      throw new Error(
        `MetricsModule records HTTP metrics on the Fastify adapter only, not ${adapter.getType()}`,
      );
    new HttpMetrics(this.metrics).attachTo(adapter.getInstance<FastifyHooksView>());
  }
}
