import { diag, isSpanContextValid, trace } from '@opentelemetry/api';

import { tracingDecision } from './tracing-env';
import type { RunningSdk } from './tracing-sdk';

export interface TracingOptions {
  /** `service.name`, e.g. `product`. */
  serviceName: string;
  /** `service.version`, e.g. `0.1.0`. */
  serviceVersion: string;
}

export interface TraceContext {
  traceId: string;
  spanId: string;
}

export interface ShutdownTracingOptions {
  /** Longest wait for the last spans to be exported; shutdown never holds the process longer. */
  timeoutMs?: number;
}

const DEFAULT_SHUTDOWN_TIMEOUT_MS = 3_000;

let running: RunningSdk | undefined;
let stopping: Promise<void> | undefined;

/**
 * Starts OpenTelemetry tracing when the standard environment asks for it (an OTLP endpoint is set and the
 * SDK is not disabled); otherwise does nothing at all, not even load the SDK. Call it first thing in
 * `instrument.ts`, before Nest, pg or http are required, so the instrumentations can patch them.
 * Returns whether tracing runs. Throws TracingConfigError, naming the variable, on a malformed OTEL_* value.
 */
export function startTracing(options: TracingOptions): boolean {
  if (running) return true;
  const decision = tracingDecision(process.env);
  if (!decision.enabled) return false;
  // Required here rather than imported so a service with tracing off never loads the SDK.
  const sdk = require('./tracing-sdk') as typeof import('./tracing-sdk');
  running = sdk.startSdk(options);
  return true;
}

export function isTracingStarted(): boolean {
  return running !== undefined;
}

/**
 * Flushes the spans still queued and stops tracing. Safe to call more than once and when tracing never
 * started; never rejects, and returns within `timeoutMs` even if the collector does not answer.
 */
export async function shutdownTracing(options: ShutdownTracingOptions = {}): Promise<void> {
  if (!stopping) {
    const current = running;
    if (!current) return;
    running = undefined;
    stopping = settleWithin(current.shutdown(), options.timeoutMs ?? DEFAULT_SHUTDOWN_TIMEOUT_MS).finally(
      () => {
        stopping = undefined;
      },
    );
  }
  await stopping;
}

/** The ids of the span active here, for log lines; undefined outside a traced operation or with tracing off. */
export function activeTraceContext(): TraceContext | undefined {
  const spanContext = trace.getActiveSpan()?.spanContext();
  if (!spanContext || !isSpanContextValid(spanContext)) return undefined;
  return { traceId: spanContext.traceId, spanId: spanContext.spanId };
}

async function settleWithin(work: Promise<void>, timeoutMs: number): Promise<void> {
  // Settles either way, so a shutdown that fails after the timeout is not an unhandled rejection.
  const outcome = work.then(
    () => 'done' as const,
    (error: unknown) => {
      diag.warn(`tracing shutdown failed: ${error instanceof Error ? error.message : String(error)}`);
      return 'failed' as const;
    },
  );
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), timeoutMs);
    timer.unref();
  });
  try {
    if ((await Promise.race([outcome, timeout])) === 'timeout')
      diag.warn(`tracing shutdown did not finish within ${timeoutMs} ms; spans not yet exported are lost`);
  } finally {
    clearTimeout(timer);
  }
}
