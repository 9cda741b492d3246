import { CallHandler, ExecutionContext, Injectable, NestInterceptor } from '@nestjs/common';
import { Observable, tap } from 'rxjs';

import { GrpcCallRecorder } from './grpc-call-recorder';

/** Times every call that got past the guard and records the ones that succeed (the filter records the rest). */
@Injectable()
export class GrpcCallInterceptor implements NestInterceptor {
  constructor(private readonly recorder: GrpcCallRecorder) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    if (context.getType() !== 'rpc') return next.handle();
    const call = this.recorder.begin(context);
    return next.handle().pipe(tap({ complete: () => this.recorder.succeeded(call) }));
  }
}
