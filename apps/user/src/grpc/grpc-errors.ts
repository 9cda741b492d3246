import {
  AccessTokenKeysUnavailableException,
  InvalidAccessTokenException,
  MissingAccessTokenException,
} from '@emporium/platform/auth';
import { isDatabaseUnavailable } from '@emporium/platform/database';
import { DomainError, DomainErrorKind, GENERIC_CODES, RequestValidationError } from '@emporium/platform/http';
import { status } from '@grpc/grpc-js';
import { HttpException } from '@nestjs/common';

/** What a failed call answers: the gRPC status, its details, and Emporium's stable error code. */
export interface GrpcFailure {
  code: status;
  details: string;
  /** The same codes as the REST problems (`PROFILE_NOT_FOUND`, `VALIDATION_FAILED`, …). */
  errorCode: string;
  /** True when the fault is the server's (logged as an error with its stack), not the caller's. */
  serverFault: boolean;
}

const CODE_BY_KIND: Record<DomainErrorKind, status> = {
  bad_request: status.INVALID_ARGUMENT,
  invalid: status.INVALID_ARGUMENT,
  not_found: status.NOT_FOUND,
  conflict: status.ALREADY_EXISTS,
  forbidden: status.PERMISSION_DENIED,
  precondition: status.FAILED_PRECONDITION,
  unavailable: status.UNAVAILABLE,
  timeout: status.DEADLINE_EXCEEDED,
};

// The usual HTTP -> gRPC correspondence (https://github.com/grpc/grpc/blob/master/doc/http-grpc-status-mapping.md
// gives the other direction), for Nest's own exceptions.
const CODE_BY_HTTP_STATUS: Record<number, status> = {
  400: status.INVALID_ARGUMENT,
  401: status.UNAUTHENTICATED,
  403: status.PERMISSION_DENIED,
  404: status.NOT_FOUND,
  409: status.ALREADY_EXISTS,
  412: status.FAILED_PRECONDITION,
  413: status.RESOURCE_EXHAUSTED,
  422: status.INVALID_ARGUMENT,
  429: status.RESOURCE_EXHAUSTED,
  503: status.UNAVAILABLE,
  504: status.DEADLINE_EXCEEDED,
};

const INTERNAL: GrpcFailure = {
  code: status.INTERNAL,
  details: 'An unexpected error occurred',
  errorCode: 'INTERNAL',
  serverFault: true,
};

/**
 * Maps anything thrown while serving a call to a gRPC status, as the problem filter maps it to an HTTP one:
 * the same codes and messages, never a stack trace, SQL or an internal host name.
 */
export function toGrpcFailure(error: unknown): GrpcFailure {
  if (error instanceof RequestValidationError) {
    const fields = error.errors.map((field) => `${field.field}: ${field.message}`).join('; ');
    return {
      code: status.INVALID_ARGUMENT,
      details: `The request has invalid fields: ${fields}`,
      errorCode: 'VALIDATION_FAILED',
      serverFault: false,
    };
  }
  if (error instanceof DomainError) {
    return {
      code: CODE_BY_KIND[error.kind],
      details: error.message,
      errorCode: error.code,
      serverFault: false,
    };
  }
  if (error instanceof MissingAccessTokenException || error instanceof InvalidAccessTokenException) {
    return {
      code: status.UNAUTHENTICATED,
      details: error.message,
      errorCode: 'UNAUTHENTICATED',
      serverFault: false,
    };
  }
  if (error instanceof AccessTokenKeysUnavailableException) {
    return {
      code: status.UNAVAILABLE,
      details: error.message,
      errorCode: 'SERVICE_UNAVAILABLE',
      serverFault: false,
    };
  }
  if (error instanceof HttpException) {
    const httpStatus = error.getStatus();
    const code = CODE_BY_HTTP_STATUS[httpStatus];
    if (code === undefined) return INTERNAL;
    const errorCode = GENERIC_CODES[httpStatus] ?? `HTTP_${httpStatus}`;
    return { code, details: error.message, errorCode, serverFault: false };
  }
  if (isDatabaseUnavailable(error)) {
    return {
      code: status.UNAVAILABLE,
      details: 'The service is temporarily unavailable; retry later',
      errorCode: 'DATABASE_UNAVAILABLE',
      serverFault: false,
    };
  }
  return INTERNAL;
}
