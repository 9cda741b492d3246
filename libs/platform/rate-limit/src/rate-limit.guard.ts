import { MetricsService } from '@emporium/platform/metrics';
import { ExecutionContext, Inject, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import {
  InjectThrottlerOptions,
  InjectThrottlerStorage,
  ThrottlerException,
  ThrottlerGuard,
  ThrottlerLimitDetail,
  ThrottlerModuleOptions,
  ThrottlerRequest,
  ThrottlerStorage,
} from '@nestjs/throttler';
import type { Counter } from 'prom-client';

import { RATE_LIMIT_OPTIONS, RATE_LIMIT_POLICIES_KEY } from './rate-limit.constants';
import type { RateLimitModuleOptions } from './rate-limit.module';
import { RateLimitRequest, RateLimitTracker } from './rate-limit-policy';

const NO_POLICIES: readonly string[] = Object.freeze([]);

/**
 * @nestjs/throttler's guard, applying to each route only the policies its @RateLimit() names, each with its
 * own tracker. A refused request gets 429 with `Retry-After` (seconds) and counts in
 * `rate_limited_requests_total{policy}`; the app's problem filter renders the RFC 9457 body.
 */
@Injectable()
export class RateLimitGuard extends ThrottlerGuard {
  private readonly trackers: ReadonlyMap<string, RateLimitTracker>;
  private readonly rejections: Counter<'policy'>;

  constructor(
    @InjectThrottlerOptions() options: ThrottlerModuleOptions,
    @InjectThrottlerStorage() storage: ThrottlerStorage,
    reflector: Reflector,
    @Inject(RATE_LIMIT_OPTIONS) rateLimits: RateLimitModuleOptions,
    metrics: MetricsService,
  ) {
    super(options, storage, reflector);
    this.trackers = new Map(rateLimits.policies.map((policy) => [policy.name, policy.tracker]));
    this.rejections = metrics.counter({
      name: 'rate_limited_requests_total',
      help: 'Requests refused with 429 by a rate-limit policy.',
      labelNames: ['policy'],
    });
  }

  override async canActivate(context: ExecutionContext): Promise<boolean> {
    for (const name of this.policiesOf(context)) {
      // A typo in @RateLimit() must not silently leave a route unlimited.
      if (!this.trackers.has(name)) throw new Error(`Unknown rate-limit policy "${name}"`);
    }
    return super.canActivate(context);
  }

  protected override async handleRequest(request: ThrottlerRequest): Promise<boolean> {
    const name = request.throttler.name ?? 'default';
    if (!this.policiesOf(request.context).includes(name)) return true;
    const tracker = this.trackers.get(name)?.(request.context.switchToHttp().getRequest<RateLimitRequest>());
    if (tracker === undefined) return true;
    try {
      return await super.handleRequest({ ...request, getTracker: () => tracker });
    } catch (error) {
      if (error instanceof ThrottlerException) this.rejections.inc({ policy: name });
      throw error;
    }
  }

  protected override async throwThrottlingException(
    context: ExecutionContext,
    detail: ThrottlerLimitDetail,
  ): Promise<void> {
    const seconds = Math.max(1, detail.timeToBlockExpire);
    this.setResponseHeader(this.getRequestResponse(context).res, 'Retry-After', seconds);
    throw new ThrottlerException(`Too many requests; retry in ${seconds} s`);
  }

  private policiesOf(context: ExecutionContext): readonly string[] {
    return (
      this.reflector.getAllAndOverride<readonly string[] | undefined>(RATE_LIMIT_POLICIES_KEY, [
        context.getHandler(),
        context.getClass(),
      ]) ?? NO_POLICIES
    );
  }
}
