import {
  AccessTokenKeysUnavailableException,
  InvalidAccessTokenException,
  MissingAccessTokenException,
} from '@emporium/platform/auth';
import { DomainError, DomainErrorKind, RequestValidationError } from '@emporium/platform/http';
import { status } from '@grpc/grpc-js';
import {
  BadRequestException,
  ForbiddenException,
  ImATeapotException,
  NotFoundException,
  PayloadTooLargeException,
} from '@nestjs/common';
import { QueryFailedError } from 'typeorm';

import { toGrpcFailure } from './grpc-errors';

describe(toGrpcFailure.name, () => {
  it('maps validation errors to INVALID_ARGUMENT, naming every field', () => {
    const sut = toGrpcFailure(
      new RequestValidationError([
        { field: 'id', message: 'must be a UUID' },
        { field: 'name', message: 'must not be blank' },
      ]),
    );
    expect(sut).toEqual({
      code: status.INVALID_ARGUMENT,
      details: 'The request has invalid fields: id: must be a UUID; name: must not be blank',
      errorCode: 'VALIDATION_FAILED',
      serverFault: false,
    });
  });

  it.each<[DomainErrorKind, status]>([
    ['bad_request', status.INVALID_ARGUMENT],
    ['invalid', status.INVALID_ARGUMENT],
    ['not_found', status.NOT_FOUND],
    ['conflict', status.ALREADY_EXISTS],
    ['forbidden', status.PERMISSION_DENIED],
    ['precondition', status.FAILED_PRECONDITION],
    ['unavailable', status.UNAVAILABLE],
    ['timeout', status.DEADLINE_EXCEEDED],
  ])('maps a %s domain error to %s, keeping its code and message', (kind, code) => {
    expect(toGrpcFailure(new DomainError('SOME_CODE', kind, 'What happened'))).toEqual({
      code,
      details: 'What happened',
      errorCode: 'SOME_CODE',
      serverFault: false,
    });
  });

  it('maps missing and invalid tokens to UNAUTHENTICATED, with the stable messages only', () => {
    expect(toGrpcFailure(new MissingAccessTokenException())).toMatchObject({
      code: status.UNAUTHENTICATED,
      details: 'Missing access token',
    });
    expect(toGrpcFailure(new InvalidAccessTokenException('bad_signature'))).toMatchObject({
      code: status.UNAUTHENTICATED,
      details: 'Invalid access token',
    });
    expect(toGrpcFailure(new InvalidAccessTokenException('expired'))).toMatchObject({
      code: status.UNAUTHENTICATED,
      details: 'Access token expired',
    });
  });

  it('maps a missing role to PERMISSION_DENIED and unreachable keys to UNAVAILABLE', () => {
    expect(toGrpcFailure(new ForbiddenException('Insufficient role'))).toMatchObject({
      code: status.PERMISSION_DENIED,
      errorCode: 'FORBIDDEN',
    });
    expect(toGrpcFailure(new AccessTokenKeysUnavailableException())).toMatchObject({
      code: status.UNAVAILABLE,
      serverFault: false,
    });
  });

  it("maps Nest's other HTTP exceptions by status, and unknown statuses to INTERNAL", () => {
    expect(toGrpcFailure(new NotFoundException()).code).toBe(status.NOT_FOUND);
    expect(toGrpcFailure(new BadRequestException()).code).toBe(status.INVALID_ARGUMENT);
    expect(toGrpcFailure(new PayloadTooLargeException()).code).toBe(status.RESOURCE_EXHAUSTED);
    expect(toGrpcFailure(new ImATeapotException())).toMatchObject({
      code: status.INTERNAL,
      serverFault: true,
    });
  });

  it('maps an unreachable database to UNAVAILABLE without its message', () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED 10.0.0.7:5432'), { code: 'ECONNREFUSED' });
    const sut = toGrpcFailure(refused);
    expect(sut).toMatchObject({
      code: status.UNAVAILABLE,
      errorCode: 'DATABASE_UNAVAILABLE',
      serverFault: false,
    });
    expect(sut.details).not.toContain('10.0.0.7');
  });

  it('maps anything else to INTERNAL with a fixed message: no SQL, no stack', () => {
    const query = new QueryFailedError(
      'SELECT secret FROM "user".profiles',
      [],
      new Error('syntax error at "FROM"'),
    );
    for (const error of [query, new TypeError('x is undefined'), 'a string', undefined]) {
      expect(toGrpcFailure(error)).toEqual({
        code: status.INTERNAL,
        details: 'An unexpected error occurred',
        errorCode: 'INTERNAL',
        serverFault: true,
      });
    }
  });
});
