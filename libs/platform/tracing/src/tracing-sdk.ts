// Loaded by startTracing only when tracing is on: a service without a collector never pays for the SDK's
// modules, memory or patches.
import { randomUUID } from 'node:crypto';

import { context, diag, DiagLogger, DiagLogLevel, propagation, trace } from '@opentelemetry/api';
import {
  CompositePropagator,
  diagLogLevelFromString,
  getNumberFromEnv,
  getStringFromEnv,
  W3CBaggagePropagator,
  W3CTraceContextPropagator,
} from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { registerInstrumentations } from '@opentelemetry/instrumentation';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { NestInstrumentation } from '@opentelemetry/instrumentation-nestjs-core';
import { PgInstrumentation } from '@opentelemetry/instrumentation-pg';
import {
  defaultResource,
  detectResources,
  envDetector,
  Resource,
  resourceFromAttributes,
} from '@opentelemetry/resources';
import {
  BatchSpanProcessor,
  NodeTracerProvider,
  SpanLimits,
  SpanProcessor,
} from '@opentelemetry/sdk-trace-node';
import { ATTR_SERVICE_NAME, ATTR_SERVICE_VERSION } from '@opentelemetry/semantic-conventions';

import type { TracingOptions } from './tracing';

// Still "incubating" in semantic-conventions, whose guidance is to copy such names rather than import them.
const ATTR_SERVICE_INSTANCE_ID = 'service.instance.id';

/**
 * Span limits sized for services that live in 128 MiB: the exporter queue holds up to 2,048 spans
 * (OTEL_BSP_MAX_QUEUE_SIZE), and a span with an unbounded SQL text or 128 attributes would make that queue
 * the biggest thing in the heap. The standard variables still override each limit.
 */
export const DEFAULT_SPAN_LIMITS = {
  attributeValueLengthLimit: 2048,
  attributeCountLimit: 64,
  eventCountLimit: 32,
  linkCountLimit: 32,
} as const satisfies SpanLimits;

export interface RunningSdk {
  shutdown(): Promise<void>;
}

/**
 * The tracer provider. No sampler is passed: the SDK builds it from OTEL_TRACES_SAMPLER and
 * OTEL_TRACES_SAMPLER_ARG (default parentbased_always_on), which tracingDecision has validated.
 */
export function createTracerProvider(
  options: TracingOptions,
  spanProcessors: SpanProcessor[],
): NodeTracerProvider {
  return new NodeTracerProvider({
    resource: serviceResource(options),
    spanLimits: spanLimitsFromEnv(),
    spanProcessors,
  });
}

/** service.name, service.version and a per-process service.instance.id; OTEL_RESOURCE_ATTRIBUTES and OTEL_SERVICE_NAME win. */
export function serviceResource(options: TracingOptions): Resource {
  return defaultResource()
    .merge(
      resourceFromAttributes({
        [ATTR_SERVICE_NAME]: options.serviceName,
        [ATTR_SERVICE_VERSION]: options.serviceVersion,
        [ATTR_SERVICE_INSTANCE_ID]: randomUUID(),
      }),
    )
    .merge(detectResources({ detectors: [envDetector] }));
}

function spanLimitsFromEnv(): SpanLimits {
  const first = (names: string[], fallback: number): number =>
    names.map((name) => getNumberFromEnv(name)).find((value) => value !== undefined) ?? fallback;
  return {
    attributeValueLengthLimit: first(
      ['OTEL_SPAN_ATTRIBUTE_VALUE_LENGTH_LIMIT', 'OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT'],
      DEFAULT_SPAN_LIMITS.attributeValueLengthLimit,
    ),
    attributeCountLimit: first(
      ['OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT', 'OTEL_ATTRIBUTE_COUNT_LIMIT'],
      DEFAULT_SPAN_LIMITS.attributeCountLimit,
    ),
    eventCountLimit: first(['OTEL_SPAN_EVENT_COUNT_LIMIT'], DEFAULT_SPAN_LIMITS.eventCountLimit),
    linkCountLimit: first(['OTEL_SPAN_LINK_COUNT_LIMIT'], DEFAULT_SPAN_LIMITS.linkCountLimit),
  };
}

/** The three instrumentations a service needs, configured for the least work per request. */
export function createInstrumentations(): [HttpInstrumentation, PgInstrumentation, NestInstrumentation] {
  return [
    new HttpInstrumentation({
      // Incoming requests get their server span from Fastify hooks (server-spans.ts): far cheaper per request.
      disableIncomingRequestInstrumentation: true,
      // Background polling (JWKS refresh, registry watches) would otherwise start a trace per poll.
      requireParentforOutgoingSpans: true,
    }),
    new PgInstrumentation({
      // Pool health checks and start-up queries outside a request start no traces.
      requireParentSpan: true,
      // A pool checkout is not worth a span of its own; the query span shows the time spent.
      ignoreConnectSpans: true,
    }),
    new NestInstrumentation(),
  ];
}

/** Starts the SDK: provider, batch export over OTLP/HTTP, W3C propagation, and the instrumentations. */
export function startSdk(options: TracingOptions): RunningSdk {
  diag.setLogger(jsonDiagLogger, {
    logLevel: diagLogLevelFromString(getStringFromEnv('OTEL_LOG_LEVEL')) ?? DiagLogLevel.WARN,
    suppressOverrideMessage: true,
  });
  // The exporter reads its endpoint, headers, timeout and compression from the standard variables; the
  // batch processor reads OTEL_BSP_*.
  const provider = createTracerProvider(options, [new BatchSpanProcessor(new OTLPTraceExporter())]);
  provider.register({
    propagator: new CompositePropagator({
      propagators: [new W3CTraceContextPropagator(), new W3CBaggagePropagator()],
    }),
  });
  const disableInstrumentations = registerInstrumentations({
    tracerProvider: provider,
    instrumentations: createInstrumentations(),
  });
  return {
    async shutdown() {
      disableInstrumentations();
      try {
        await provider.shutdown();
      } finally {
        // Back to the no-op API, so nothing keeps a reference to the stopped provider.
        trace.disable();
        context.disable();
        propagation.disable();
      }
    },
  };
}

/** OTel's own warnings (e.g. a collector that does not answer) as JSON lines on stderr, like every other log. */
const jsonDiagLogger: DiagLogger = {
  error: (message, ...args) => writeDiag('error', message, args),
  warn: (message, ...args) => writeDiag('warn', message, args),
  info: (message, ...args) => writeDiag('info', message, args),
  debug: (message, ...args) => writeDiag('debug', message, args),
  verbose: (message, ...args) => writeDiag('trace', message, args),
};

function writeDiag(level: string, message: string, args: unknown[]): void {
  const detail = args.map((arg) => (arg instanceof Error ? arg.message : String(arg))).join(' ');
  const msg = `opentelemetry: ${message}${detail ? ` ${detail}` : ''}`;
  process.stderr.write(`${JSON.stringify({ level, time: new Date().toISOString(), msg })}\n`);
}
