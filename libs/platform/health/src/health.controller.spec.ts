import { HealthCheckService, HealthIndicatorService, TerminusModule } from '@nestjs/terminus';
import { Test } from '@nestjs/testing';
import type { FastifyReply } from 'fastify';

import { HealthController } from './health.controller';
import { LifecycleState, ReadinessRegistry } from './readiness.registry';

describe(HealthController.name, () => {
  let sut: HealthController;
  let registry: ReadinessRegistry;
  let lifecycle: LifecycleState;
  const reply = { status: jest.fn() } as unknown as FastifyReply & { status: jest.Mock };

  beforeEach(async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [TerminusModule.forRoot({ logger: false })],
      controllers: [HealthController],
      providers: [ReadinessRegistry, LifecycleState],
    }).compile();
    sut = moduleRef.get(HealthController);
    registry = moduleRef.get(ReadinessRegistry);
    lifecycle = moduleRef.get(LifecycleState);
    expect(moduleRef.get(HealthCheckService)).toBeDefined();
    expect(moduleRef.get(HealthIndicatorService)).toBeDefined();
  });

  it('is ready when every registered check passes', async () => {
    registry.register('database', async () => undefined);
    const result = await sut.ready(reply);
    expect(result.status).toBe('ok');
    expect(result.info).toEqual({ lifecycle: { status: 'up' }, database: { status: 'up' } });
    expect(reply.status).not.toHaveBeenCalled();
  });

  it('answers 503 naming the failing check', async () => {
    registry.register('database', async () => undefined);
    registry.register('broker', async () => {
      throw new Error('connection closed');
    });
    const result = await sut.ready(reply);
    expect(reply.status).toHaveBeenCalledWith(503);
    expect(result.status).toBe('error');
    expect(result.error).toEqual({ broker: { status: 'down', message: 'connection closed' } });
  });

  it('answers 503 while shutting down even when dependencies are fine', async () => {
    lifecycle.beginShutdown();
    const result = await sut.ready(reply);
    expect(reply.status).toHaveBeenCalledWith(503);
    expect(result.error).toEqual({ lifecycle: { status: 'down', message: 'shutting down' } });
  });

  it('times a hanging check out instead of hanging the probe', async () => {
    jest.useFakeTimers({ doNotFake: ['nextTick', 'setImmediate'] });
    registry.register('registry', () => new Promise<void>(() => undefined));
    const pending = sut.ready(reply);
    await jest.advanceTimersByTimeAsync(2_001);
    const result = await pending;
    jest.useRealTimers();
    expect(result.error).toEqual({ registry: { status: 'down', message: 'no answer within 2000 ms' } });
  });

  it('is live without asking any dependency', async () => {
    const check = jest.fn(async () => undefined);
    registry.register('database', check);
    await expect(sut.live()).resolves.toMatchObject({ status: 'ok' });
    expect(check).not.toHaveBeenCalled();
  });

  it('refuses to register the same check twice', () => {
    registry.register('database', async () => undefined);
    expect(() => registry.register('database', async () => undefined)).toThrow(/already registered/);
  });
});
