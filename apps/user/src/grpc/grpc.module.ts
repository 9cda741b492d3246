import { Module } from '@nestjs/common';

import { GrpcCallRecorder } from './grpc-call-recorder';
import { GrpcHealth } from './grpc-health';
import { GrpcServer } from './grpc-server';

/** The gRPC server's parts that live in the app's container (see grpc-server.ts for how it starts). */
@Module({
  providers: [GrpcCallRecorder, GrpcHealth, GrpcServer],
  exports: [GrpcCallRecorder, GrpcHealth, GrpcServer],
})
export class GrpcModule {}
