export { HttpClientModule, InjectServiceClient, serviceClientToken } from './http-client.module';
export { HttpClientEnv } from './http-client-env';
export { RetryBudget } from './retry-budget';
export type {
  CallOptions,
  HttpMethod,
  TargetPolicy,
  UpstreamRequest,
  UpstreamResponse,
} from './service-client';
export { isTargetFailure, ServiceClient } from './service-client';
export type { HttpClientModuleOptions } from './service-clients';
export { HTTP_CLIENT_OPTIONS, ServiceClients } from './service-clients';
export type { UpstreamProblem } from './upstream-errors';
export {
  NoHealthyInstanceError,
  UpstreamCircuitOpenError,
  UpstreamRejectedError,
  UpstreamTimeoutError,
  UpstreamUnavailableError,
} from './upstream-errors';
export type { AttemptOutcomeLabel, RejectionReason } from './upstream-metrics';
export { circuitStateName, UpstreamMetrics } from './upstream-metrics';
