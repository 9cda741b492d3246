import { Metadata, StatusObject } from '@grpc/grpc-js';
import { ArgumentsHost, Catch, RpcExceptionFilter } from '@nestjs/common';
import { Observable, throwError } from 'rxjs';

import { ERROR_CODE_METADATA, GrpcCallRecorder, REQUEST_ID_METADATA } from './grpc-call-recorder';
import { toGrpcFailure } from './grpc-errors';

/**
 * Turns whatever a call threw (guard, validation, handler) into a gRPC status with Emporium's error code
 * and the request id in the trailing metadata, and records the failure.
 */
@Catch()
export class GrpcExceptionFilter implements RpcExceptionFilter<unknown> {
  constructor(private readonly recorder: GrpcCallRecorder) {}

  catch(exception: unknown, host: ArgumentsHost): Observable<never> {
    const failure = toGrpcFailure(exception);
    const call = this.recorder.describe(host);
    this.recorder.failed(call, failure, exception);
    const trailers = new Metadata();
    trailers.set(REQUEST_ID_METADATA, call.requestId);
    trailers.set(ERROR_CODE_METADATA, failure.errorCode);
    const answer: Partial<StatusObject> = {
      code: failure.code,
      details: failure.details,
      metadata: trailers,
    };
    return throwError(() => answer);
  }
}
