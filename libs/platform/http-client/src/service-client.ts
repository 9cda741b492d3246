import { randomUUID } from 'node:crypto';

import { LoadBalancer, ServiceDiscovery, ServiceInstance } from '@emporium/platform/discovery';
import {
  currentDeadline,
  DeadlineExceededError,
  DomainError,
  REQUEST_TIMEOUT_HEADER,
} from '@emporium/platform/http';
import { currentRequestId, REQUEST_ID_HEADER } from '@emporium/platform/logging';
import { context, propagation, Span, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import {
  BrokenCircuitError,
  CircuitBreakerPolicy,
  CircuitState,
  IBackoff,
  IBackoffFactory,
  IsolatedCircuitError,
} from 'cockatiel';

import { RetryBudget } from './retry-budget';
import {
  NoHealthyInstanceError,
  UpstreamCircuitOpenError,
  UpstreamProblem,
  UpstreamRejectedError,
  UpstreamTimeoutError,
  UpstreamUnavailableError,
} from './upstream-errors';
import { AttemptOutcomeLabel, UpstreamMetrics } from './upstream-metrics';

export type HttpMethod = 'GET' | 'HEAD' | 'OPTIONS' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/** RFC 9110's idempotent methods: repeating one has the effect of sending it once, so they may be retried. */
const IDEMPOTENT: ReadonlySet<HttpMethod> = new Set<HttpMethod>(['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE']);

/** 502, 503 and 504 say the target (or the hop before it) could not serve now; a retry may land elsewhere. */
const RETRYABLE_STATUSES: ReadonlySet<number> = new Set([502, 503, 504]);

const tracer = trace.getTracer('@emporium/platform/http-client');

export interface CallOptions {
  query?: Readonly<Record<string, string | number | boolean | undefined>>;
  /** Extra request headers; the client's own (request id, trace context, deadline) take precedence. */
  headers?: Readonly<Record<string, string>>;
  /** Sent as `Idempotency-Key`; makes a POST or PATCH safe to retry. */
  idempotencyKey?: string;
  /**
   * The `Authorization` value to send, typically the caller's own (`@Headers('authorization')`); nothing is
   * forwarded unless given here.
   */
  authorization?: string;
  /** Budget of the whole call in ms (default HTTP_CLIENT_DEADLINE_MS); the served request's deadline caps it. */
  timeoutMs?: number;
  /** Timeout of each attempt in ms (default HTTP_CLIENT_ATTEMPT_TIMEOUT_MS). */
  attemptTimeoutMs?: number;
  /** Cancels the call. */
  signal?: AbortSignal;
}

export interface UpstreamRequest extends CallOptions {
  method: HttpMethod;
  /** Path below the instance's base URL, starting with `/`, e.g. `/api/v1/products/42`. */
  path: string;
  /** Sent as JSON. */
  body?: unknown;
}

export interface UpstreamResponse<T> {
  status: number;
  headers: Headers;
  /** Parsed JSON (or text for other media types); undefined for an empty body. */
  body: T;
  /** Id of the instance that answered. */
  instance: string;
  attempts: number;
}

/** The policy of one target, shared by every call to it. */
export interface TargetPolicy {
  maxAttempts: number;
  attemptTimeoutMs: number;
  deadlineMs: number;
  backoff: IBackoffFactory<unknown>;
}

type AttemptError = 'timeout' | 'network' | 'deadline' | 'cancelled';

type AttemptOutcome =
  | {
      kind: 'response';
      instance: ServiceInstance;
      status: number;
      headers: Headers;
      text: string;
      latencyMs: number;
    }
  | { kind: 'error'; instance: ServiceInstance; error: AttemptError; cause: unknown; latencyMs: number };

/** What the circuit breaker counts against the target: server errors, timeouts, failed connections. */
export function isTargetFailure(outcome: unknown): boolean {
  const value = outcome as AttemptOutcome;
  if (value.kind === 'response') return value.status >= 500;
  return value.error === 'timeout' || value.error === 'network';
}

/**
 * Calls one target service: picks a healthy instance per attempt (discovery + balancer), bounds each
 * attempt and the whole call, carries the remaining budget, request id and trace context to the callee,
 * retries idempotent requests (or those with an Idempotency-Key) on 502/503/504, timeouts and refused
 * connections with exponential backoff and full jitter within a retry budget, and fails fast while the
 * target's circuit is open. Get one from `ServiceClients.for(target)` or `@InjectServiceClient(target)`.
 */
export class ServiceClient {
  constructor(
    readonly target: string,
    private readonly discovery: ServiceDiscovery,
    private readonly balancer: LoadBalancer,
    private readonly breaker: CircuitBreakerPolicy,
    private readonly budget: RetryBudget,
    private readonly policy: TargetPolicy,
    private readonly metrics: UpstreamMetrics,
  ) {}

  get circuitState(): CircuitState {
    return this.breaker.state;
  }

  /** GET and return the JSON body; a 4xx throws UpstreamRejectedError. */
  async get<T>(path: string, options: CallOptions = {}): Promise<T> {
    return this.json<T>({ ...options, method: 'GET', path });
  }

  /** POST (retried only with an idempotency key) and return the JSON body; a 4xx throws UpstreamRejectedError. */
  async post<T>(path: string, body: unknown, options: CallOptions = {}): Promise<T> {
    return this.json<T>({ ...options, method: 'POST', path, body });
  }

  async put<T>(path: string, body: unknown, options: CallOptions = {}): Promise<T> {
    return this.json<T>({ ...options, method: 'PUT', path, body });
  }

  async patch<T>(path: string, body: unknown, options: CallOptions = {}): Promise<T> {
    return this.json<T>({ ...options, method: 'PATCH', path, body });
  }

  async delete<T = undefined>(path: string, options: CallOptions = {}): Promise<T> {
    return this.json<T>({ ...options, method: 'DELETE', path });
  }

  /**
   * Sends the request and returns any answer below 500, 4xx included, for callers that handle statuses
   * themselves. Throws a DomainError otherwise: UpstreamUnavailableError, UpstreamTimeoutError,
   * UpstreamCircuitOpenError, NoHealthyInstanceError or RegistryUnavailableError (503/504), or
   * DeadlineExceededError (504) when the call's budget ran out; the caller's own cancellation rejects
   * with its signal's reason.
   */
  async request<T>(request: UpstreamRequest): Promise<UpstreamResponse<T>> {
    if (!request.path.startsWith('/')) throw new TypeError(`The path must start with "/": ${request.path}`);
    const retryable =
      IDEMPOTENT.has(request.method) ||
      request.idempotencyKey !== undefined ||
      Object.keys(request.headers ?? {}).some((name) => name.toLowerCase() === 'idempotency-key');
    const scope = CallScope.open(request.timeoutMs ?? this.policy.deadlineMs, request.signal);
    const requestId = currentRequestId() ?? randomUUID();
    const tried = new Set<string>();
    let backoff: IBackoff<unknown> | undefined;
    this.budget.deposit();
    try {
      for (let attempt = 1; ; attempt++) {
        scope.throwIfDone(this.target);
        const instance = await this.choose(tried, scope);
        tried.add(instance.id);
        const outcome = await this.guarded(() => this.attempt(instance, request, scope, attempt, requestId));
        this.record(request.method, outcome);
        if (outcome.kind === 'response' && outcome.status < 500) {
          return {
            status: outcome.status,
            headers: outcome.headers,
            body: parseBody(outcome) as T,
            instance: instance.id,
            attempts: attempt,
          };
        }
        if (outcome.kind === 'error' && (outcome.error === 'deadline' || outcome.error === 'cancelled')) {
          scope.throwIfDone(this.target);
        }
        const canRetry =
          retryable && attempt < this.policy.maxAttempts && isRetryable(outcome) && this.budget.tryWithdraw();
        if (!canRetry) throw this.failure(outcome);
        backoff = backoff ? backoff.next(undefined) : this.policy.backoff.next(undefined);
        // No retry that could not finish in time: fail now with what the last attempt said.
        if (Date.now() + backoff.duration >= scope.expiresAt) throw this.failure(outcome);
        this.metrics.retries.inc({ target: this.target, method: request.method });
        await scope.sleep(backoff.duration, this.target);
      }
    } finally {
      scope.close();
    }
  }

  private async json<T>(request: UpstreamRequest): Promise<T> {
    const response = await this.request<T>(request);
    if (response.status >= 400) {
      throw new UpstreamRejectedError(this.target, response.status, asProblem(response.body));
    }
    return response.body;
  }

  private async choose(tried: ReadonlySet<string>, scope: CallScope): Promise<ServiceInstance> {
    let instances: readonly ServiceInstance[];
    try {
      instances = await this.discovery.instances(this.target, scope.signal);
    } catch (error) {
      scope.throwIfDone(this.target);
      if (error instanceof DomainError) {
        this.metrics.rejections.inc({ target: this.target, reason: 'registry_unavailable' });
      }
      throw error;
    }
    const instance = this.balancer.pick(instances, tried);
    if (!instance) {
      this.metrics.rejections.inc({ target: this.target, reason: 'no_instance' });
      throw new NoHealthyInstanceError(this.target);
    }
    return instance;
  }

  /** Runs one attempt through the target's circuit breaker; an open circuit fails fast. */
  private async guarded(attempt: () => Promise<AttemptOutcome>): Promise<AttemptOutcome> {
    try {
      return await this.breaker.execute(attempt);
    } catch (error) {
      if (error instanceof BrokenCircuitError || error instanceof IsolatedCircuitError) {
        this.metrics.rejections.inc({ target: this.target, reason: 'circuit_open' });
        throw new UpstreamCircuitOpenError(this.target);
      }
      throw error;
    }
  }

  private async attempt(
    instance: ServiceInstance,
    request: UpstreamRequest,
    scope: CallScope,
    attempt: number,
    requestId: string,
  ): Promise<AttemptOutcome> {
    const started = performance.now();
    const latency = (): number => performance.now() - started;
    const remaining = scope.expiresAt - Date.now();
    if (remaining <= 0) return { kind: 'error', instance, error: 'deadline', cause: undefined, latencyMs: 0 };
    const attemptTimeout = request.attemptTimeoutMs ?? this.policy.attemptTimeoutMs;
    // When the call's deadline comes first it alone bounds the attempt, so the outcome says "deadline".
    const timer = attemptTimeout < remaining ? new AbortController() : undefined;
    const timeout = timer ? setTimeout(() => timer.abort(), attemptTimeout) : undefined;
    const signal = timer ? AbortSignal.any([timer.signal, scope.signal]) : scope.signal;

    const headers: Record<string, string> = {
      ...request.headers,
      accept: 'application/json, application/problem+json',
      [REQUEST_ID_HEADER]: requestId,
      [REQUEST_TIMEOUT_HEADER]: String(Math.min(attemptTimeout, remaining)),
    };
    if (request.body !== undefined) headers['content-type'] = 'application/json';
    if (request.idempotencyKey !== undefined) headers['idempotency-key'] = request.idempotencyKey;
    if (request.authorization !== undefined) headers['authorization'] = request.authorization;
    const span = startClientSpan(this.target, instance, request, attempt);
    propagation.inject(span ? trace.setSpan(context.active(), span) : context.active(), headers);

    try {
      const response = await fetch(urlOf(instance, request), {
        method: request.method,
        headers,
        body: request.body === undefined ? undefined : JSON.stringify(request.body),
        signal,
        redirect: 'manual',
      });
      const text = await response.text();
      span?.setAttribute('http.response.status_code', response.status);
      if (response.status >= 500) span?.setStatus({ code: SpanStatusCode.ERROR });
      return {
        kind: 'response',
        instance,
        status: response.status,
        headers: response.headers,
        text,
        latencyMs: latency(),
      };
    } catch (cause) {
      const error: AttemptError = scope.signal.aborted
        ? scope.reason()
        : timer?.signal.aborted
          ? 'timeout'
          : 'network';
      span?.setStatus({ code: SpanStatusCode.ERROR, message: error });
      return { kind: 'error', instance, error, cause, latencyMs: latency() };
    } finally {
      clearTimeout(timeout);
      span?.end();
    }
  }

  /** Feeds the balancer (latency, outlier ejection) and the metrics. */
  private record(method: HttpMethod, outcome: AttemptOutcome): void {
    const id = outcome.instance.id;
    if (isTargetFailure(outcome)) this.balancer.recordFailure(id, outcome.latencyMs);
    else if (outcome.kind === 'response') this.balancer.recordSuccess(id, outcome.latencyMs);
    this.metrics.duration.observe(
      { target: this.target, method, outcome: outcomeLabel(outcome) },
      outcome.latencyMs / 1_000,
    );
    this.metrics.ejected.set({ target: this.target }, this.balancer.ejectedCount());
  }

  private failure(outcome: AttemptOutcome): DomainError {
    if (outcome.kind === 'response') {
      return new UpstreamUnavailableError(this.target, `answered ${outcome.status}`);
    }
    if (outcome.error === 'timeout') return new UpstreamTimeoutError(this.target);
    const cause = outcome.cause instanceof Error ? (outcome.cause.cause ?? outcome.cause) : outcome.cause;
    return new UpstreamUnavailableError(this.target, cause instanceof Error ? cause.message : outcome.error);
  }
}

/** The deadline and cancellation of one call: its own budget, the served request's deadline, the caller's signal. */
class CallScope {
  private readonly controller = new AbortController();
  private readonly timer: NodeJS.Timeout;
  private readonly detach: () => void;

  private constructor(
    readonly expiresAt: number,
    parents: readonly AbortSignal[],
  ) {
    this.timer = setTimeout(() => this.controller.abort(new DeadlineExceededError()), expiresAt - Date.now());
    const onAbort = (event: Event): void => this.controller.abort((event.target as AbortSignal).reason);
    for (const parent of parents) {
      if (parent.aborted) this.controller.abort(parent.reason);
      else parent.addEventListener('abort', onAbort, { once: true });
    }
    this.detach = () => parents.forEach((parent) => parent.removeEventListener('abort', onAbort));
  }

  static open(timeoutMs: number, signal?: AbortSignal): CallScope {
    const inbound = currentDeadline();
    const expiresAt = Math.min(Date.now() + timeoutMs, inbound?.expiresAt ?? Number.POSITIVE_INFINITY);
    const parents = [inbound?.signal, signal].filter((parent): parent is AbortSignal => parent !== undefined);
    return new CallScope(expiresAt, parents);
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  /** Why the call was aborted: its deadline (its own or the served request's), or the caller cancelling. */
  reason(): 'deadline' | 'cancelled' {
    return this.controller.signal.reason instanceof DeadlineExceededError ? 'deadline' : 'cancelled';
  }

  /** Throws when the call is over: 504 when its deadline passed, the caller's reason when it was cancelled. */
  throwIfDone(target: string): void {
    if (Date.now() >= this.expiresAt && !this.controller.signal.aborted) {
      this.controller.abort(new DeadlineExceededError());
    }
    if (!this.controller.signal.aborted) return;
    if (this.reason() === 'deadline') {
      throw new DeadlineExceededError(`The ${target} service could not answer before the deadline`);
    }
    throw this.controller.signal.reason;
  }

  /** Waits `ms`, or less if the call ends meanwhile (then throws as throwIfDone does). */
  async sleep(ms: number, target: string): Promise<void> {
    const signal = this.signal;
    await new Promise<void>((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        signal.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      signal.addEventListener('abort', done, { once: true });
    });
    this.throwIfDone(target);
  }

  close(): void {
    clearTimeout(this.timer);
    this.detach();
  }
}

function isRetryable(outcome: AttemptOutcome): boolean {
  if (outcome.kind === 'response') return RETRYABLE_STATUSES.has(outcome.status);
  return outcome.error === 'timeout' || outcome.error === 'network';
}

function outcomeLabel(outcome: AttemptOutcome): AttemptOutcomeLabel {
  if (outcome.kind === 'response') {
    return outcome.status >= 500 ? 'server_error' : outcome.status >= 400 ? 'client_error' : 'success';
  }
  const labels: Record<AttemptError, AttemptOutcomeLabel> = {
    timeout: 'timeout',
    network: 'network_error',
    deadline: 'deadline_exceeded',
    cancelled: 'cancelled',
  };
  return labels[outcome.error];
}

function urlOf(instance: ServiceInstance, request: UpstreamRequest): string {
  const query = new URLSearchParams();
  for (const [key, value] of Object.entries(request.query ?? {})) {
    if (value !== undefined) query.append(key, String(value));
  }
  const search = query.toString();
  return `${instance.baseUrl}${request.path}${search === '' ? '' : `?${search}`}`;
}

function parseBody(outcome: Extract<AttemptOutcome, { kind: 'response' }>): unknown {
  if (outcome.text === '') return undefined;
  const type = outcome.headers.get('content-type') ?? '';
  if (!/[/+]json\b/.test(type)) return outcome.text;
  try {
    return JSON.parse(outcome.text) as unknown;
  } catch {
    if (outcome.status < 400)
      throw new UpstreamUnavailableError(outcome.instance.service, 'answered malformed JSON');
    return outcome.text;
  }
}

function asProblem(body: unknown): UpstreamProblem | undefined {
  return typeof body === 'object' && body !== null ? (body as UpstreamProblem) : undefined;
}

/** A client span per attempt, only inside a traced operation (as the http instrumentation does). */
function startClientSpan(
  target: string,
  instance: ServiceInstance,
  request: UpstreamRequest,
  attempt: number,
): Span | undefined {
  if (!trace.getSpan(context.active())) return undefined;
  return tracer.startSpan(`${request.method} ${target}`, {
    kind: SpanKind.CLIENT,
    attributes: {
      'http.request.method': request.method,
      'server.address': instance.address,
      'server.port': instance.port,
      'url.path': request.path,
      'peer.service': target,
      ...(attempt > 1 ? { 'http.request.resend_count': attempt - 1 } : {}),
    },
  });
}
