import {
  ConsulDouble,
  createTestDatabase,
  createTestVhost,
  freePort,
  ServiceBundle,
  ServiceProcess,
  TcpProxy,
  TestDatabase,
  TestTokenIssuer,
  TestVhost,
  waitFor,
} from '@emporium/platform/testing';
import { connect } from 'amqplib';

import { productInput } from './factories';

// These tests run the built artefact (`nx build product` first, which the e2e target depends on) as a
// real process, the way compose and Kubernetes run it. Every run gets this file's database and vhost.
const bundle = new ServiceBundle('product');
const run = (args: string[], env: Record<string, string>): ServiceProcess => bundle.run(args, env);

describe('product as a process (dist/apps/product/main.js)', () => {
  let db: TestDatabase;
  let vhost: TestVhost;

  beforeAll(async () => {
    bundle.assertBuilt();
    [db, vhost] = await Promise.all([createTestDatabase('process'), createTestVhost('process')]);
  });

  afterAll(async () => {
    await Promise.all([db?.drop(), vhost?.drop()]);
  });

  it('`migrate` applies pending migrations, then finds none pending', async () => {
    const first = run(['migrate'], { PG_URL: db.url });
    expect(await first.exited).toBe(0);
    expect(first.output()).toContain('CreateCatalog1764000000000');
    const second = run(['migrate'], { PG_URL: db.url });
    expect(await second.exited).toBe(0);
    expect(second.output()).toContain('none pending');
  });

  it('refuses to start with a bad variable and names it', async () => {
    const bad = run([], { PG_URL: db.url, PORT: 'eighty', LOG_LEVEL: 'loud' });
    expect(await bad.exited).toBe(1);
    expect(bad.output()).toMatch(/PORT/);
    expect(bad.output()).toMatch(/LOG_LEVEL/);
  });

  it('logs one JSON line per request with the request id, and never the token', async () => {
    const port = await freePort();
    const service = run([], { PG_URL: db.url, RMQ_URL: vhost.url, PORT: String(port) });
    const base = `http://127.0.0.1:${port}`;
    await waitFor(async () => (await fetch(`${base}/health/ready`)).status === 200);
    const response = await fetch(`${base}/api/v1/products/00000000-0000-4000-8000-000000000000`, {
      headers: { 'X-Request-Id': 'log-check-1', Authorization: 'Bearer secret-token-xyz' },
    });
    expect(response.status).toBe(404);
    await waitFor(async () => service.output().includes('log-check-1'), 5_000);
    service.child.kill('SIGTERM');
    await service.exited;

    const lines = service.output().trim().split('\n');
    const records = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
    const completed = records.find((record) => record['requestId'] === 'log-check-1');
    expect(completed).toMatchObject({
      level: 'warn',
      service: 'product',
      msg: 'request completed',
      req: { method: 'GET', url: '/api/v1/products/00000000-0000-4000-8000-000000000000' },
      res: { statusCode: 404 },
    });
    expect(service.output()).not.toContain('secret-token-xyz');
    // Readiness probes are not logged line by line.
    expect(
      records.some((record) => (record['req'] as { url?: string } | undefined)?.url === '/health/ready'),
    ).toBe(false);
  });

  it('on SIGTERM turns readiness to 503, finishes in-flight work and exits 0 within 10 s', async () => {
    const port = await freePort();
    const service = run([], {
      PG_URL: db.url,
      RMQ_URL: vhost.url,
      PORT: String(port),
      SHUTDOWN_DRAIN_MS: '1500',
    });
    const base = `http://127.0.0.1:${port}`;
    await waitFor(async () => (await fetch(`${base}/health/ready`)).status === 200);

    const signalledAt = Date.now();
    service.child.kill('SIGTERM');
    await waitFor(async () => (await fetch(`${base}/health/ready`)).status === 503, 1_000);
    // Still serving during the drain window, so requests already routed here succeed.
    expect((await fetch(`${base}/api/v1/categories`)).status).toBe(200);

    expect(await service.exited).toBe(0);
    expect(Date.now() - signalledAt).toBeLessThan(10_000);
    expect(service.output()).toContain('Shutdown complete');
  });

  it('publishes an event committed just before a SIGKILL once the service is back (outbox)', async () => {
    const issuer = await TestTokenIssuer.start();
    const broker = await TcpProxy.start('127.0.0.1', Number(new URL(vhost.url).port || 5672));
    const observer = await connect(vhost.url);
    try {
      const channel = await observer.createChannel();
      await channel.assertExchange('product.events', 'topic', { durable: true });
      const { queue } = await channel.assertQueue('', { exclusive: true });
      await channel.bindQueue(queue, 'product.events', 'product.created');
      const received: { subject: string; data: { sku: string } }[] = [];
      await channel.consume(queue, (message) => {
        if (message) received.push(JSON.parse(message.content.toString()) as (typeof received)[number]);
      });

      // The broker is unreachable, so the relay cannot publish what the request commits.
      broker.cut();
      const env = { PG_URL: db.url, RMQ_URL: broker.route(vhost.url), ...issuer.env() };
      const port = await freePort();
      const first = run([], { ...env, PORT: String(port) });
      const base = `http://127.0.0.1:${port}`;
      await waitFor(async () => (await fetch(`${base}/health/live`)).status === 200);
      const input = productInput();
      const created = await fetch(`${base}/api/v1/products`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          authorization: `Bearer ${await issuer.mint({ roles: ['admin'] })}`,
        },
        body: JSON.stringify(input),
      });
      expect(created.status).toBe(201);
      const { id } = (await created.json()) as { id: string };
      first.child.kill('SIGKILL');
      await first.exited;
      expect(received).toEqual([]);

      broker.restore();
      const second = run([], { ...env, PORT: String(await freePort()) });
      try {
        await waitFor(async () => received.some((event) => event.subject === id), 20_000);
        expect(received.filter((event) => event.subject === id)).toEqual([
          expect.objectContaining({ subject: id, data: expect.objectContaining({ sku: input.sku }) }),
        ]);
      } finally {
        second.child.kill('SIGTERM');
        await second.exited;
      }
    } finally {
      await observer.close();
      await broker.stop();
      await issuer.stop();
    }
  });

  it('registers with Consul when CONSUL_URL is set, and deregisters on SIGTERM', async () => {
    const consul = await ConsulDouble.start();
    try {
      const port = await freePort();
      const service = run([], {
        PG_URL: db.url,
        RMQ_URL: vhost.url,
        PORT: String(port),
        CONSUL_URL: consul.url,
        CONSUL_SERVICE_ADDRESS: '127.0.0.1',
      });
      await waitFor(async () => consul.registeredServices().some((entry) => entry.name === 'product'));
      expect(consul.registeredServices()).toEqual([
        expect.objectContaining({
          name: 'product',
          address: '127.0.0.1',
          port,
          tags: expect.arrayContaining(['version=0.1.0']),
        }),
      ]);
      service.child.kill('SIGTERM');
      expect(await service.exited).toBe(0);
      expect(consul.registeredServices()).toEqual([]);
    } finally {
      await consul.close();
    }
  });
});
