import { AsyncLocalStorage } from 'node:async_hooks';

import type { FastifyInstance, FastifyRequest } from 'fastify';

import { DomainError } from './domain-error';
import { sendProblem } from './problem.filter';

/**
 * How many milliseconds the caller will wait for the answer, counted from when it sent the request. A
 * relative budget rather than an absolute time, so the caller's and the callee's clocks need not agree
 * (gRPC's `grpc-timeout` and Envoy's expected-timeout header do the same). Set by
 * `@emporium/platform/http-client` on every outgoing call; see docs/adr/0007-discovery-and-resilient-calls.md.
 */
export const REQUEST_TIMEOUT_HEADER = 'x-request-timeout-ms';

/** Budgets above this are clamped: no caller waits longer than Fastify's own 30 s request timeout. */
export const MAX_REQUEST_TIMEOUT_MS = 30_000;

/** 504: the caller's deadline passed before the answer (or a dependency's) was ready. */
export class DeadlineExceededError extends DomainError {
  constructor(detail = 'The request could not be completed before its deadline') {
    super('DEADLINE_EXCEEDED', 'timeout', detail);
    this.name = DeadlineExceededError.name;
  }
}

/** The deadline of the work in progress: the request being served, or a `runWithDeadline` block. */
export interface RequestDeadline {
  /** Epoch milliseconds after which nobody waits for the answer any more. */
  readonly expiresAt: number;
  /** Aborted when the deadline passes, or when the caller disconnects; pass it to anything cancellable. */
  readonly signal: AbortSignal;
}

const deadlines = new AsyncLocalStorage<RequestDeadline>();

/** The deadline in force here, or undefined when the caller set none (public requests, background work). */
export function currentDeadline(): RequestDeadline | undefined {
  return deadlines.getStore();
}

/** Milliseconds left before `deadline` (0 once passed). */
export function remainingMs(deadline: RequestDeadline, now: number = Date.now()): number {
  return Math.max(0, deadline.expiresAt - now);
}

/**
 * Parses the header: a whole number of milliseconds, clamped to MAX_REQUEST_TIMEOUT_MS. Anything else
 * (negative, fractional, several values, garbage) is ignored rather than refused: the header is a hint
 * between our own services, and a request without a usable one is served under the server's own timeout.
 */
export function parseRequestTimeout(value: string | string[] | undefined): number | undefined {
  if (typeof value !== 'string' || !/^\d{1,9}$/.test(value)) return undefined;
  return Math.min(Number(value), MAX_REQUEST_TIMEOUT_MS);
}

/**
 * Runs `work` under a deadline `timeoutMs` from now (or the one already in force, if sooner), so that
 * outgoing calls made inside it carry the budget and are cancelled when it passes. For work that does not
 * start from an HTTP request, e.g. a broker message handler.
 */
export async function runWithDeadline<T>(timeoutMs: number, work: () => Promise<T>): Promise<T> {
  const outer = currentDeadline();
  const expiresAt = Math.min(Date.now() + timeoutMs, outer?.expiresAt ?? Number.POSITIVE_INFINITY);
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(new DeadlineExceededError()), expiresAt - Date.now());
  timer.unref();
  const signal = outer ? AbortSignal.any([controller.signal, outer.signal]) : controller.signal;
  try {
    return await deadlines.run({ expiresAt, signal }, work);
  } finally {
    clearTimeout(timer);
  }
}

interface Pending {
  controller: AbortController;
  timer: NodeJS.Timeout;
}

/**
 * Honours the caller's deadline on the callee side. A request whose budget is already spent is answered
 * 504 at once, without running its handler. Otherwise the rest of the request runs with `currentDeadline()`
 * set, so the http-client lib carries the remaining budget on to the calls it makes and aborts them when it
 * passes; at the deadline the signal is aborted and, if the handler has not answered yet, the request is
 * answered 504 (the caller has stopped waiting; whatever the handler sends later is dropped). A caller that
 * disconnects aborts the signal too. Requests without the header pay one header lookup.
 */
export function registerRequestDeadlines(fastify: FastifyInstance): void {
  const pending = new WeakMap<FastifyRequest, Pending>();
  const settle = (request: FastifyRequest, reason?: unknown): void => {
    const entry = pending.get(request);
    if (!entry) return;
    pending.delete(request);
    clearTimeout(entry.timer);
    if (reason !== undefined) entry.controller.abort(reason);
  };

  fastify.addHook('onRequest', (request, reply, done) => {
    const budget = parseRequestTimeout(request.headers[REQUEST_TIMEOUT_HEADER]);
    if (budget === undefined) return done();
    if (budget === 0) {
      // Answered from the hook: the handler never runs (done is deliberately not called).
      sendProblem(reply, request, new DeadlineExceededError('The request arrived after its deadline'));
      return;
    }
    const controller = new AbortController();
    const timer = setTimeout(() => {
      settle(request, new DeadlineExceededError());
      if (!reply.sent) sendProblem(reply, request, new DeadlineExceededError());
    }, budget);
    timer.unref();
    pending.set(request, { controller, timer });
    deadlines.run({ expiresAt: Date.now() + budget, signal: controller.signal }, done);
  });
  fastify.addHook('onResponse', (request, _reply, done) => {
    settle(request);
    done();
  });
  fastify.addHook('onRequestAbort', (request, done) => {
    settle(request, new DOMException('The caller closed the connection', 'AbortError'));
    done();
  });
}
