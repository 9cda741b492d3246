/**
 * What went wrong, in domain terms; the HTTP status is derived from the kind in one place (the problem
 * filter), and later the message filter maps the same kinds to ack / retry / dead-letter.
 */
export type DomainErrorKind =
  | 'bad_request'
  | 'invalid'
  | 'not_found'
  | 'conflict'
  | 'forbidden'
  | 'precondition'
  | 'unavailable'
  | 'timeout';

export const STATUS_BY_KIND: Record<DomainErrorKind, number> = {
  bad_request: 400,
  invalid: 422,
  not_found: 404,
  conflict: 409,
  forbidden: 403,
  precondition: 412,
  unavailable: 503,
  /** A dependency did not answer within the request's deadline (see deadline.ts). */
  timeout: 504,
};

export class DomainError extends Error {
  constructor(
    /** Stable SCREAMING_SNAKE code, e.g. PRODUCT_NOT_FOUND; part of the public contract. */
    readonly code: string,
    readonly kind: DomainErrorKind,
    message: string,
  ) {
    super(message);
    this.name = DomainError.name;
  }
}
