import { Transform } from 'class-transformer';
import { IsInt, Max, Min } from 'class-validator';

const toInt = ({ value }: { value: unknown }): unknown =>
  typeof value === 'string' && /^\d+$/.test(value.trim()) ? Number(value.trim()) : value;

/** The gRPC server beside the REST API (api.md: `GRPC_PORT`, default 50052). */
export class GrpcEnv {
  @Transform(toInt)
  @IsInt({ message: 'must be an integer port number' })
  @Min(1)
  @Max(65535)
  GRPC_PORT: number = 50052;
}
