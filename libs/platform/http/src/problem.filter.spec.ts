import {
  BadRequestException,
  HttpException,
  NotFoundException,
  ServiceUnavailableException,
} from '@nestjs/common';

import { DomainError } from './domain-error';
import { toProblem } from './problem.filter';
import { RequestValidationError } from './validation';

describe(toProblem.name, () => {
  it('renders a validation failure as 400 with every field', () => {
    const sut = toProblem(
      new RequestValidationError([{ field: 'price.amount', message: 'must be an integer' }]),
      '/x',
      'r1',
    );
    expect(sut).toEqual({
      type: 'urn:emporium:problem:validation-failed',
      title: 'Bad Request',
      status: 400,
      detail: 'The request has invalid fields',
      code: 'VALIDATION_FAILED',
      instance: '/x',
      requestId: 'r1',
      errors: [{ field: 'price.amount', message: 'must be an integer' }],
    });
  });

  it.each([
    ['bad_request', 400],
    ['invalid', 422],
    ['not_found', 404],
    ['conflict', 409],
    ['forbidden', 403],
    ['precondition', 412],
    ['unavailable', 503],
  ] as const)('maps a %s domain error to %i with its code', (kind, status) => {
    const sut = toProblem(new DomainError('SOMETHING_HAPPENED', kind, 'what happened'));
    expect(sut).toMatchObject({ status, code: 'SOMETHING_HAPPENED', detail: 'what happened' });
    expect(sut.type).toBe('urn:emporium:problem:something-happened');
  });

  it('keeps the message of 4xx HTTP exceptions', () => {
    expect(toProblem(new NotFoundException('Cannot GET /nope'))).toMatchObject({
      status: 404,
      code: 'NOT_FOUND',
      detail: 'Cannot GET /nope',
    });
    expect(toProblem(new BadRequestException(['a is bad', 'b is bad']))).toMatchObject({
      detail: 'a is bad; b is bad',
    });
  });

  it('hides the message of 5xx HTTP exceptions', () => {
    const sut = toProblem(new ServiceUnavailableException('upstream db-7.internal:5432 refused'));
    expect(sut).toMatchObject({ status: 503, code: 'SERVICE_UNAVAILABLE' });
    expect(sut.detail).not.toContain('db-7');
  });

  it('answers 503 for an unreachable database without naming it', () => {
    const error = Object.assign(new Error('connect ECONNREFUSED 10.0.0.7:5432'), { code: 'ECONNREFUSED' });
    const sut = toProblem(error);
    expect(sut).toMatchObject({ status: 503, code: 'DATABASE_UNAVAILABLE' });
    expect(JSON.stringify(sut)).not.toContain('10.0.0.7');
  });

  it('maps Fastify client errors to fixed texts', () => {
    const error = Object.assign(new Error('internal parser text'), {
      statusCode: 415,
      code: 'FST_ERR_CTP_INVALID_MEDIA_TYPE',
    });
    expect(toProblem(error)).toMatchObject({
      status: 415,
      code: 'UNSUPPORTED_MEDIA_TYPE',
      detail: 'The request body must be application/json',
    });
  });

  it('turns anything else into a bare 500 with no detail of the cause', () => {
    const sut = toProblem(new TypeError("Cannot read properties of undefined (reading 'secret')"));
    expect(sut).toMatchObject({ status: 500, code: 'INTERNAL', detail: 'An unexpected error occurred' });
    expect(JSON.stringify(sut)).not.toContain('secret');
  });

  it('gives unknown HTTP statuses a generic code', () => {
    expect(toProblem(new HttpException('teapot', 418))).toMatchObject({ status: 418, code: 'HTTP_418' });
  });
});
