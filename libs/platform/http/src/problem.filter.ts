import { isDatabaseUnavailable } from '@emporium/platform/database';
import { ArgumentsHost, Catch, ExceptionFilter, HttpException, Logger } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';

import { DomainError, STATUS_BY_KIND } from './domain-error';
import { GENERIC_CODES, Problem, problem, PROBLEM_CONTENT_TYPE } from './problem';
import { RequestValidationError } from './validation';

const logger = new Logger('ProblemFilter');

// Fastify's own client errors (body parsing, media type, size) carry these codes; their texts are fixed here
// so no parser internals reach the client.
const FASTIFY_DETAILS: Record<string, string> = {
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'The request body must be application/json',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'The Content-Length header does not match the body',
  FST_ERR_CTP_BODY_TOO_LARGE: 'The request body is too large',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'The request body is empty but declared as JSON',
  FST_ERR_CTP_INVALID_JSON_BODY: 'The request body is not valid JSON',
  FST_ERR_BAD_URL: 'The request URL is not valid',
  FST_ERR_MAX_PARAM_LENGTH: 'A path parameter is too long',
};

interface ClientError {
  statusCode: number;
  code?: string;
}

function isClientError(error: unknown): error is ClientError {
  const status = (error as ClientError | null)?.statusCode;
  return typeof status === 'number' && status >= 400 && status < 500;
}

function httpExceptionDetail(exception: HttpException): string {
  const response = exception.getResponse();
  if (typeof response === 'string') return response;
  const message = (response as { message?: unknown }).message;
  if (Array.isArray(message)) return message.join('; ');
  return typeof message === 'string' ? message : exception.message;
}

/** Maps anything thrown while serving a request to an RFC 9457 problem. Never a stack trace or SQL. */
export function toProblem(error: unknown, instance?: string, requestId?: string): Problem {
  const extra = { instance, requestId };
  if (error instanceof RequestValidationError) {
    return problem(400, 'VALIDATION_FAILED', 'The request has invalid fields', {
      ...extra,
      errors: error.errors,
    });
  }
  if (error instanceof DomainError) {
    return problem(STATUS_BY_KIND[error.kind], error.code, error.message, extra);
  }
  if (error instanceof HttpException) {
    const status = error.getStatus();
    const detail = status >= 500 ? 'The service could not complete the request' : httpExceptionDetail(error);
    return problem(status, GENERIC_CODES[status] ?? `HTTP_${status}`, detail, extra);
  }
  if (isDatabaseUnavailable(error)) {
    return problem(503, 'DATABASE_UNAVAILABLE', 'The service is temporarily unavailable; retry later', extra);
  }
  if (isClientError(error)) {
    const known = error.code ? FASTIFY_DETAILS[error.code] : undefined;
    const detail =
      known ??
      (error instanceof SyntaxError ? 'The request body is not valid JSON' : 'The request is invalid');
    return problem(error.statusCode, GENERIC_CODES[error.statusCode] ?? 'BAD_REQUEST', detail, extra);
  }
  return problem(500, 'INTERNAL', 'An unexpected error occurred', extra);
}

export function sendProblem(reply: FastifyReply, request: FastifyRequest, error: unknown): void {
  const body = toProblem(error, request.url.split('?')[0], request.id);
  if (body.status === 500) logger.error({ err: error, requestId: body.requestId }, 'request failed');
  if (body.status === 503) {
    logger.warn({ err: error, requestId: body.requestId }, 'dependency unavailable');
    void reply.header('Retry-After', '5');
  }
  void reply.status(body.status).header('Content-Type', PROBLEM_CONTENT_TYPE).send(body);
}

@Catch()
export class ProblemFilter implements ExceptionFilter {
  catch(exception: unknown, host: ArgumentsHost): void {
    if (host.getType() !== 'http') throw exception;
    const http = host.switchToHttp();
    sendProblem(http.getResponse<FastifyReply>(), http.getRequest<FastifyRequest>(), exception);
  }
}
