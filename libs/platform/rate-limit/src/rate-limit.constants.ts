/** Metadata key of @RateLimit(): the policy names a route draws on. */
export const RATE_LIMIT_POLICIES_KEY = 'emporium:rate-limit-policies';
/** Injection token of the module's RateLimitModuleOptions. */
export const RATE_LIMIT_OPTIONS = Symbol('RATE_LIMIT_OPTIONS');
