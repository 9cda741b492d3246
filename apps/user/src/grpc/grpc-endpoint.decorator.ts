import { createValidationPipe } from '@emporium/platform/http';
import { applyDecorators, UseFilters, UseGuards, UseInterceptors, UsePipes } from '@nestjs/common';

import { GrpcAccessTokenGuard } from './grpc-access-token.guard';
import { GrpcCallInterceptor } from './grpc-call.interceptor';
import { GrpcExceptionFilter } from './grpc-exception.filter';

/**
 * What every gRPC controller of the service has: the access-token guard (honouring `@Roles()`), request
 * messages validated by the same rules and pipe as the REST bodies, errors mapped to gRPC status codes,
 * and a log line and metrics per call.
 */
export const GrpcEndpoint = (): ClassDecorator =>
  applyDecorators(
    UseGuards(GrpcAccessTokenGuard),
    UseInterceptors(GrpcCallInterceptor),
    UseFilters(GrpcExceptionFilter),
    UsePipes(createValidationPipe()),
  );
