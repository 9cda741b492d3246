import type { AddressInfo } from 'node:net';

import { ReadinessRegistry } from '@emporium/platform/health';
import { PlatformModule, ServiceDescriptor } from '@emporium/platform/http';
import { createTestApp, TestApp } from '@emporium/platform/test-app';
import { ConsulDouble, ConsulDoubleService } from '@emporium/platform/testing';
import { Injectable, Module, OnModuleInit } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import request from 'supertest';

import { waitFor } from '../test/wait-for';
import { DiscoveryModule } from './discovery.module';
import { DiscoveryEnv } from './discovery-env';

const SERVICE: ServiceDescriptor = {
  name: 'catalog',
  version: '1.2.3',
  defaultPort: 3999,
  description: 'test',
  env: [DiscoveryEnv],
};

/** A stand-in for a dependency the service's readiness depends on (its database, say). */
const stock = { up: true };

@Injectable()
class StockDependency implements OnModuleInit {
  constructor(private readonly readiness: ReadinessRegistry) {}

  onModuleInit(): void {
    this.readiness.register('stock', async () => {
      if (!stock.up) throw new Error('stock store unreachable');
    });
  }
}

@Module({
  imports: [PlatformModule.forService(SERVICE), DiscoveryModule.forRoot()],
  providers: [StockDependency],
})
class CatalogModule {}

const FAST = {
  CONSUL_SERVICE_ADDRESS: '127.0.0.1',
  CONSUL_CHECK_INTERVAL_MS: '100',
  CONSUL_CHECK_TIMEOUT_MS: '1000',
  CONSUL_RETRY_MAX_MS: '200',
  CONSUL_REQUEST_TIMEOUT_MS: '500',
};

describe('registration with Consul', () => {
  let consul: ConsulDouble;
  const apps: TestApp[] = [];

  async function startApp(env: Record<string, string>): Promise<{ sut: TestApp; port: number }> {
    const sut = await createTestApp({
      module: CatalogModule,
      service: SERVICE,
      env: { CONSUL_URL: consul.url, ...FAST, ...env },
    });
    apps.push(sut);
    await sut.app.listen(0, '127.0.0.1');
    return { sut, port: (sut.server.address() as AddressInfo).port };
  }

  const registered = (): ConsulDoubleService | undefined => consul.registeredServices()[0];
  const checkStatus = (): string | undefined => registered()?.checks[0]?.status;

  beforeEach(async () => {
    stock.up = true;
    consul = await ConsulDouble.start();
  });

  afterEach(async () => {
    for (const app of apps.splice(0)) await app.close();
    await consul.close();
  });

  it('registers once listening, reports readiness through a TTL check, and deregisters on shutdown', async () => {
    const { sut, port } = await startApp({ CONSUL_CHECK: 'ttl' });
    await waitFor(() => checkStatus() === 'passing', 'the TTL check passes');
    expect(registered()).toMatchObject({
      id: `catalog-127.0.0.1-${port}`,
      name: 'catalog',
      address: '127.0.0.1',
      port,
      tags: ['version=1.2.3'],
      meta: expect.objectContaining({ version: '1.2.3' }),
      checks: [expect.objectContaining({ id: `service:catalog-127.0.0.1-${port}`, type: 'ttl' })],
    });
    await request(sut.server).get('/health/ready').expect(200);

    stock.up = false;
    await waitFor(() => checkStatus() === 'critical', 'the TTL check reports the failing dependency');
    expect(registered()?.checks[0].output).toContain('stock: stock store unreachable');
    stock.up = true;
    await waitFor(() => checkStatus() === 'passing', 'the TTL check passes again');

    await sut.close();
    apps.length = 0;
    expect(consul.registeredServices()).toEqual([]);
  });

  it('with an HTTP check, lets the agent probe /health/ready', async () => {
    const { sut, port } = await startApp({ CONSUL_CHECK: 'http' });
    await waitFor(() => checkStatus() === 'passing', 'the HTTP check passes');
    expect(registered()?.checks[0].type).toBe('http');
    expect(registered()?.port).toBe(port);

    stock.up = false;
    await waitFor(() => checkStatus() === 'critical', 'the HTTP check sees readiness fail');
    stock.up = true;
    await waitFor(() => checkStatus() === 'passing', 'the HTTP check passes again');

    await sut.close();
    apps.length = 0;
    expect(consul.registeredServices()).toEqual([]);
  });

  it('starts and serves while the registry is down, reports it in readiness, and registers when it is back', async () => {
    await consul.stop();
    const { sut } = await startApp({ CONSUL_CHECK: 'ttl' });
    await request(sut.server).get('/health/live').expect(200);
    const ready = await request(sut.server).get('/health/ready').expect(503);
    expect(ready.body).toMatchObject({ error: { registry: { status: 'down' } } });

    await consul.listen();
    await waitFor(() => checkStatus() === 'passing', 'the instance registers once the registry is back');
    await waitFor(
      async () => (await request(sut.server).get('/health/ready')).status === 200,
      'readiness turns 200',
    );
  });

  it('turns readiness down while the registry is unreachable, and back up after', async () => {
    const { sut } = await startApp({ CONSUL_CHECK: 'ttl' });
    await waitFor(() => checkStatus() === 'passing', 'registered');
    await consul.stop();
    await waitFor(
      async () => (await request(sut.server).get('/health/ready')).status === 503,
      'readiness reports the registry down',
    );
    await consul.listen();
    await waitFor(
      async () => (await request(sut.server).get('/health/ready')).status === 200,
      'readiness recovers',
    );
  });

  it.each(['ttl', 'http'])('registers again when the agent forgets it (%s check)', async (check) => {
    await startApp({ CONSUL_CHECK: check });
    await waitFor(() => checkStatus() === 'passing', 'registered');
    consul.reset();
    expect(consul.registeredServices()).toEqual([]);
    await waitFor(() => checkStatus() === 'passing', 'registered again');
  });

  it('shuts down promptly even when the agent cannot be reached to deregister', async () => {
    const { sut } = await startApp({ CONSUL_CHECK: 'ttl' });
    await waitFor(() => checkStatus() === 'passing', 'registered');
    await consul.stop();
    await sut.close();
    apps.length = 0;
    await consul.listen();
    // The agent still lists it (its TTL will lapse); the app neither hung nor registered anew.
    expect(consul.registeredServices()).toHaveLength(1);
  });

  it('sends the ACL token when one is configured', async () => {
    await consul.close();
    consul = await ConsulDouble.start({ token: 'consul-acl-token' });
    await startApp({ CONSUL_CHECK: 'ttl', CONSUL_TOKEN: 'consul-acl-token' });
    await waitFor(() => checkStatus() === 'passing', 'registered with the token');
  });

  it('never registers a one-shot command (an application context without an HTTP server)', async () => {
    const env = { CONSUL_URL: consul.url, ...FAST, CONSUL_CHECK: 'ttl', LOG_LEVEL: 'silent' };
    const previous = Object.fromEntries(Object.keys(env).map((key) => [key, process.env[key]]));
    Object.assign(process.env, env);
    try {
      const context = await NestFactory.createApplicationContext(CatalogModule, { logger: false });
      await new Promise((resolve) => setTimeout(resolve, 300));
      await context.close();
    } finally {
      for (const [key, value] of Object.entries(previous)) {
        if (value === undefined) delete process.env[key];
        else process.env[key] = value;
      }
    }
    expect(consul.requests.filter((r) => r.path.startsWith('/v1/agent/'))).toEqual([]);
  });
});
