export type {
  PostgresThrottlerStorageOptions,
  RateLimitQueryable,
  RateLimitRecord,
} from './postgres-throttler-storage';
export { PostgresThrottlerStorage } from './postgres-throttler-storage';
export { RATE_LIMIT_OPTIONS, RATE_LIMIT_POLICIES_KEY } from './rate-limit.constants';
export { RateLimit } from './rate-limit.decorator';
export { RateLimitGuard } from './rate-limit.guard';
export type { RateLimitModuleAsyncOptions, RateLimitModuleOptions } from './rate-limit.module';
export { rateLimitKey, RateLimitModule } from './rate-limit.module';
export type { Rate, RateLimitPolicy, RateLimitRequest, RateLimitTracker } from './rate-limit-policy';
export {
  assertPolicies,
  byBodyField,
  byClientIp,
  byUser,
  IsRate,
  parseRate,
  RATE_PATTERN,
} from './rate-limit-policy';
export { CreateRateLimitTable1795556000000, rateLimitSchemaOf } from './rate-limit-table.migration';
