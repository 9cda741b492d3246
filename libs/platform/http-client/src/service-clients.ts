import { LoadBalancer, ServiceDiscovery, UnknownServiceError } from '@emporium/platform/discovery';
import { MetricsService } from '@emporium/platform/metrics';
import { Inject, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import {
  circuitBreaker,
  CircuitState,
  ConsecutiveBreaker,
  ExponentialBackoff,
  fullJitterGenerator,
  handleWhenResult,
} from 'cockatiel';

import { HttpClientEnv } from './http-client-env';
import { RetryBudget } from './retry-budget';
import { isTargetFailure, ServiceClient } from './service-client';
import { circuitStateName, UpstreamMetrics } from './upstream-metrics';

export const HTTP_CLIENT_OPTIONS = Symbol('HTTP_CLIENT_OPTIONS');

export interface HttpClientModuleOptions {
  /** Services this app calls: each gets an injectable client, and (with Consul) is watched from start-up. */
  targets?: readonly string[];
}

/**
 * One ServiceClient per target service, each with its own circuit breaker, load balancer (with outlier
 * ejection) and retry budget, shared by every caller in the app.
 */
@Injectable()
export class ServiceClients implements OnApplicationBootstrap {
  private readonly logger = new Logger('HttpClient');
  private readonly clients = new Map<string, ServiceClient>();
  private readonly metrics: UpstreamMetrics;

  constructor(
    private readonly env: HttpClientEnv,
    private readonly discovery: ServiceDiscovery,
    metrics: MetricsService,
    @Inject(HTTP_CLIENT_OPTIONS) private readonly options: HttpClientModuleOptions,
  ) {
    this.metrics = new UpstreamMetrics(metrics);
  }

  /** Starts watching the declared targets, so the first call to each does not wait for discovery. */
  onApplicationBootstrap(): void {
    this.discovery.prefetch(this.options.targets ?? []);
  }

  /** The client of `target`; throws UnknownServiceError when discovery can never resolve it. */
  for(target: string): ServiceClient {
    let client = this.clients.get(target);
    if (!client) {
      if (!this.discovery.knows(target)) throw new UnknownServiceError(target);
      client = this.create(target);
      this.clients.set(target, client);
    }
    return client;
  }

  private create(target: string): ServiceClient {
    const { env } = this;
    const breaker = circuitBreaker(handleWhenResult(isTargetFailure), {
      halfOpenAfter: env.HTTP_CLIENT_BREAKER_HALF_OPEN_AFTER_MS,
      breaker: new ConsecutiveBreaker(env.HTTP_CLIENT_BREAKER_THRESHOLD),
    });
    this.metrics.circuitState(target, CircuitState.Closed);
    breaker.onStateChange((state) => {
      this.metrics.circuitState(target, state);
      const message = `Circuit to ${target} is ${circuitStateName(state)}`;
      if (state === CircuitState.Open) this.logger.warn(message);
      else this.logger.log(message);
    });
    const balancer = new LoadBalancer({
      strategy: env.HTTP_CLIENT_BALANCER,
      ejection: {
        consecutiveFailures: env.HTTP_CLIENT_EJECT_AFTER_FAILURES,
        baseEjectionMs: env.HTTP_CLIENT_EJECT_BASE_MS,
        maxEjectionMs: env.HTTP_CLIENT_EJECT_MAX_MS,
        maxEjectedRatio: env.HTTP_CLIENT_EJECT_MAX_PERCENT / 100,
      },
    });
    return new ServiceClient(
      target,
      this.discovery,
      balancer,
      breaker,
      new RetryBudget(env.HTTP_CLIENT_RETRY_BUDGET_RATIO, env.HTTP_CLIENT_RETRY_BUDGET_MIN_PER_SECOND),
      {
        maxAttempts: env.HTTP_CLIENT_MAX_ATTEMPTS,
        attemptTimeoutMs: env.HTTP_CLIENT_ATTEMPT_TIMEOUT_MS,
        deadlineMs: env.HTTP_CLIENT_DEADLINE_MS,
        backoff: new ExponentialBackoff({
          generator: fullJitterGenerator,
          initialDelay: env.HTTP_CLIENT_BACKOFF_INITIAL_MS,
          maxDelay: env.HTTP_CLIENT_BACKOFF_MAX_MS,
        }),
      },
      this.metrics,
    );
  }
}
