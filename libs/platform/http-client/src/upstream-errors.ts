import { DomainError, DomainErrorKind } from '@emporium/platform/http';

/** 503: the target answered 5xx, refused the connection, or kept failing after the retries allowed. */
export class UpstreamUnavailableError extends DomainError {
  constructor(
    readonly target: string,
    /** What happened on the last attempt, for logs (never shown to clients). */
    readonly reason: string,
  ) {
    super('UPSTREAM_UNAVAILABLE', 'unavailable', `The ${target} service is unavailable; retry later`);
    this.name = UpstreamUnavailableError.name;
  }
}

/** 503 at once: the target's circuit is open after repeated failures, so no request was sent. */
export class UpstreamCircuitOpenError extends DomainError {
  constructor(readonly target: string) {
    super('UPSTREAM_CIRCUIT_OPEN', 'unavailable', `The ${target} service is failing; retry later`);
    this.name = UpstreamCircuitOpenError.name;
  }
}

/** 503: discovery knows no healthy instance of the target. */
export class NoHealthyInstanceError extends DomainError {
  constructor(readonly target: string) {
    super(
      'NO_HEALTHY_INSTANCE',
      'unavailable',
      `No instance of the ${target} service is available; retry later`,
    );
    this.name = NoHealthyInstanceError.name;
  }
}

/** 504: the target did not answer within the time one attempt is given, and no retry could follow. */
export class UpstreamTimeoutError extends DomainError {
  constructor(readonly target: string) {
    super('UPSTREAM_TIMEOUT', 'timeout', `The ${target} service did not answer in time`);
    this.name = UpstreamTimeoutError.name;
  }
}

/** The part of an RFC 9457 problem the client reads from a 4xx answer. */
export interface UpstreamProblem {
  type?: string;
  title?: string;
  status?: number;
  detail?: string;
  code?: string;
  errors?: { field: string; message: string }[];
}

// The statuses a caller can pass on as its own: the same fault, described by the service that owns the data.
const PASSED_ON: Readonly<Record<number, DomainErrorKind>> = {
  400: 'bad_request',
  403: 'forbidden',
  404: 'not_found',
  409: 'conflict',
  412: 'precondition',
  422: 'invalid',
};

/**
 * The target refused the request with a 4xx (thrown by the shortcut methods; `request()` returns it). Not a
 * failure of the target: never retried, never counted by the circuit breaker. Left unhandled, 400, 403, 404,
 * 409, 412 and 422 are passed on with the target's code and detail (`PRODUCT_NOT_FOUND` stays a 404); any
 * other 4xx (401, 405, 413, 429...) means this service used the target wrongly and becomes a 503
 * `UPSTREAM_REJECTED`. Catch it where the caller knows better (e.g. a missing product becomes a 422).
 */
export class UpstreamRejectedError extends DomainError {
  constructor(
    readonly target: string,
    readonly status: number,
    readonly problem: UpstreamProblem | undefined,
  ) {
    const kind = PASSED_ON[status];
    const code =
      typeof problem?.code === 'string' && /^[A-Z][A-Z0-9_]{0,63}$/.test(problem.code)
        ? problem.code
        : undefined;
    const detail =
      typeof problem?.detail === 'string' && problem.detail.length <= 500 ? problem.detail : undefined;
    super(
      kind ? (code ?? `UPSTREAM_${status}`) : 'UPSTREAM_REJECTED',
      kind ?? 'unavailable',
      kind
        ? (detail ?? `The ${target} service answered ${status}`)
        : `The ${target} service refused the request`,
    );
    this.name = UpstreamRejectedError.name;
  }
}
