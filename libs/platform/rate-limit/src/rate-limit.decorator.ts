import { applyDecorators, SetMetadata, UseGuards } from '@nestjs/common';
import { ApiTooManyRequestsResponse } from '@nestjs/swagger';

import { RATE_LIMIT_POLICIES_KEY } from './rate-limit.constants';
import { RateLimitGuard } from './rate-limit.guard';

/**
 * Limits a route (or every route of a controller) by the named policies of RateLimitModule; every policy
 * must allow the request. A method's @RateLimit replaces its controller's. Runs after the global
 * access-token guard, so `byUser()` trackers see the caller.
 */
export const RateLimit = (policy: string, ...more: string[]): ClassDecorator & MethodDecorator =>
  applyDecorators(
    SetMetadata(RATE_LIMIT_POLICIES_KEY, Object.freeze([policy, ...more])),
    UseGuards(RateLimitGuard),
    ApiTooManyRequestsResponse({
      description: 'Rate limited (TOO_MANY_REQUESTS problem)',
      headers: { 'Retry-After': { description: 'Seconds to wait', schema: { type: 'integer' } } },
    }),
  );
