import { Controller, Get, Res, ServiceUnavailableException } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import {
  HealthCheck,
  HealthCheckResult,
  HealthCheckService,
  HealthIndicatorResult,
  HealthIndicatorService,
} from '@nestjs/terminus';
import type { FastifyReply } from 'fastify';

import { PublicRoute } from './public-route';
import { LifecycleState, ReadinessRegistry } from './readiness.registry';

const CHECK_TIMEOUT_MS = 2_000;

@ApiExcludeController()
@PublicRoute()
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly indicators: HealthIndicatorService,
    private readonly registry: ReadinessRegistry,
    private readonly lifecycle: LifecycleState,
  ) {}

  /** The process is up; no dependency is asked, so a slow database never gets a healthy pod killed. */
  @Get('live')
  @HealthCheck()
  live(): Promise<HealthCheckResult> {
    return this.health.check([]);
  }

  /** 200 only when every registered dependency answers and the process is not shutting down. */
  @Get('ready')
  @HealthCheck()
  async ready(@Res({ passthrough: true }) reply: FastifyReply): Promise<HealthCheckResult> {
    const lifecycle = async (): Promise<HealthIndicatorResult> => {
      const session = this.indicators.check('lifecycle');
      return this.lifecycle.isShuttingDown ? session.down('shutting down') : session.up();
    };
    const dependencies = this.registry.entries().map(([name, check]) => async () => {
      const session = this.indicators.check(name);
      try {
        await withTimeout(check(), CHECK_TIMEOUT_MS);
        return session.up();
      } catch (error) {
        return session.down(error instanceof Error ? error.message : 'unavailable');
      }
    });
    try {
      return await this.health.check([lifecycle, ...dependencies]);
    } catch (error) {
      // Terminus signals "not ready" with a 503 exception carrying its report; answer the report itself
      // (Terminus format, as probes and api.md expect) rather than letting it become a problem document.
      if (!(error instanceof ServiceUnavailableException)) throw error;
      void reply.status(503);
      return error.getResponse() as HealthCheckResult;
    }
  }
}

async function withTimeout(work: Promise<void>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  try {
    await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
