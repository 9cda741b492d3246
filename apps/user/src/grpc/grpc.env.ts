import { envInt } from '@emporium/platform/config';
import { Transform } from 'class-transformer';
import { IsInt, Max, Min } from 'class-validator';

/** The gRPC server beside the REST API (api.md: `GRPC_PORT`, default 50052). */
export class GrpcEnv {
  @Transform(envInt)
  @IsInt({ message: 'must be an integer port number' })
  @Min(1)
  @Max(65535)
  GRPC_PORT: number = 50052;
}
