import { randomUUID } from 'node:crypto';

import {
  createTestDatabase,
  createTestVhost,
  freePort,
  ServiceBundle,
  ServiceProcess,
  TestDatabase,
  TestTokenIssuer,
  TestVhost,
  waitFor,
} from '@emporium/platform/testing';
import { status } from '@grpc/grpc-js';
import { connect } from 'amqplib';

import { HealthClient, ReflectionClient, UserGrpcClient } from './grpc-clients';
import { addressInput, uniqueEmail } from './user-app';

// These tests run the built artefact (`nx build user` first, which the e2e target depends on) as a
// real process, the way compose and Kubernetes run it. Every run gets this file's database and vhost.
const bundle = new ServiceBundle('user');
const run = (args: string[], env: Record<string, string>): ServiceProcess => bundle.run(args, env);

interface Served extends ServiceProcess {
  base: string;
  grpcPort: number;
}

/** Starts the service on free ports and waits until it is ready over HTTP. */
async function serve(env: Record<string, string>): Promise<Served> {
  const port = await freePort();
  const grpcPort = await freePort();
  const service = run([], { PORT: String(port), GRPC_PORT: String(grpcPort), ...env });
  const base = `http://127.0.0.1:${port}`;
  await waitFor(async () => (await fetch(`${base}/health/ready`)).status === 200);
  return { ...service, base, grpcPort };
}

describe('user as a process (dist/apps/user/main.js)', () => {
  let db: TestDatabase;
  let vhost: TestVhost;
  let issuer: TestTokenIssuer;
  const running: ServiceProcess[] = [];

  beforeAll(async () => {
    bundle.assertBuilt();
    [db, vhost] = await Promise.all([createTestDatabase('process'), createTestVhost('process')]);
    bundle.baseEnv['RMQ_URL'] = vhost.url;
    issuer = await TestTokenIssuer.start();
  });

  afterAll(async () => {
    for (const service of running) if (service.child.exitCode === null) service.child.kill('SIGKILL');
    await issuer?.stop();
    await Promise.all([db?.drop(), vhost?.drop()]);
  });

  it('`migrate` creates the schema and applies pending migrations, then finds none pending', async () => {
    const first = run(['migrate'], { PG_URL: db.url });
    expect(await first.exited).toBe(0);
    expect(first.output()).toMatch(/migrations applied: .*CreateProfilesAndAddresses/);
    const second = run(['migrate'], { PG_URL: db.url });
    expect(await second.exited).toBe(0);
    expect(second.output()).toContain('none pending');
  });

  it('refuses to start with a bad variable and names it', async () => {
    const bad = run([], { PG_URL: db.url, PORT: 'eighty', LOG_LEVEL: 'loud', GRPC_PORT: '70000' });
    expect(await bad.exited).toBe(1);
    expect(bad.output()).toMatch(/PORT/);
    expect(bad.output()).toMatch(/LOG_LEVEL/);
    expect(bad.output()).toMatch(/GRPC_PORT/);
  });

  it('serves gRPC from the bundle: health SERVING, reflection describing the UserService from its .proto', async () => {
    const service = await serve({ PG_URL: db.url, ...issuer.env() });
    running.push(service);
    const health = new HealthClient(service.grpcPort);
    const reflection = new ReflectionClient(service.grpcPort);
    try {
      await expect(health.check('emporium.user.v1.UserService')).resolves.toBe('SERVING');
      await expect(reflection.listServices()).resolves.toContain('emporium.user.v1.UserService');
      const files = await reflection.filesContaining('emporium.user.v1.UserService');
      expect(files[0].toString('latin1')).toContain('GetUserByEmail');
    } finally {
      health.close();
      reflection.close();
    }
    service.child.kill('SIGTERM');
    expect(await service.exited).toBe(0);
  });

  it('refuses to start when the gRPC port is taken, and says so', async () => {
    const first = await serve({ PG_URL: db.url, ...issuer.env() });
    running.push(first);
    const second = run([], {
      PG_URL: db.url,
      PORT: String(await freePort()),
      GRPC_PORT: String(first.grpcPort),
    });
    expect(await second.exited).toBe(1);
    expect(second.output()).toMatch(/start-up failed/);
    first.child.kill('SIGTERM');
    expect(await first.exited).toBe(0);
  });

  it('on SIGTERM turns HTTP readiness to 503 and gRPC health to NOT_SERVING, keeps serving through the drain, and exits 0 within 10 s despite an open Watch stream', async () => {
    const service = await serve({ PG_URL: db.url, ...issuer.env(), SHUTDOWN_DRAIN_MS: '3000' });
    running.push(service);
    const health = new HealthClient(service.grpcPort);
    const watch = health.watch('emporium.user.v1.UserService');
    try {
      await waitFor(async () => watch.statuses.includes('SERVING'));

      const signalledAt = Date.now();
      service.child.kill('SIGTERM');
      await waitFor(async () => (await fetch(`${service.base}/health/ready`)).status === 503, 2_000);
      // Still serving during the drain window, so calls already routed here succeed.
      expect((await fetch(`${service.base}/health/live`)).status).toBe(200);
      await waitFor(async () => (await health.check()) === 'NOT_SERVING', 2_500);
      expect(watch.statuses.at(-1)).toBe('NOT_SERVING');

      expect(await service.exited).toBe(0);
      expect(Date.now() - signalledAt).toBeLessThan(10_000);
      expect(service.output()).toContain('Shutdown complete');
    } finally {
      watch.stream.cancel();
      health.close();
    }
  });

  it('never writes a token, a password or an Authorization value to its logs, even at trace level', async () => {
    const service = await serve({ PG_URL: db.url, ...issuer.env(), LOG_LEVEL: 'trace' });
    running.push(service);
    const grpc = new UserGrpcClient(service.grpcPort);
    const admin = await issuer.mint({ roles: ['admin'] });
    const customerId = randomUUID();
    const customer = await issuer.mint({ sub: customerId, roles: ['customer'] });
    const forged = await issuer.mintTampered({ sub: customerId, roles: ['admin'] });
    const expired = await issuer.mintExpired({ sub: customerId });
    const password = `pw-${randomUUID()}`;
    const tokens = [admin, customer, forged, expired];
    const send = (path: string, token: string, requestId: string, init: RequestInit = {}) =>
      fetch(`${service.base}${path}`, {
        ...init,
        headers: {
          Authorization: `Bearer ${token}`,
          'X-Request-Id': requestId,
          'Content-Type': 'application/json',
        },
      });
    try {
      await grpc.call(
        'CreateUser',
        { id: customerId, email: uniqueEmail(), name: 'Logged' },
        { token: admin, requestId: 'log-grpc-1' },
      );
      expect((await send('/api/v1/users/me', customer, 'log-rest-1')).status).toBe(200);
      expect((await send('/api/v1/users/me', forged, 'log-rest-2')).status).toBe(401);
      expect((await send('/api/v1/users/me', expired, 'log-rest-3')).status).toBe(401);
      const patch = await send('/api/v1/users/me', customer, 'log-rest-4', {
        method: 'PATCH',
        body: JSON.stringify({ name: 'x', password, passwordHash: password, cardNumber: '4242424242424242' }),
      });
      expect(patch.status).toBe(400);
      const post = await send('/api/v1/users/me/addresses', customer, 'log-rest-5', {
        method: 'POST',
        body: JSON.stringify(addressInput()),
      });
      expect(post.status).toBe(201);
      await expect(
        grpc.call('GetUser', { id: customerId }, { token: customer, requestId: 'log-grpc-2' }),
      ).resolves.toMatchObject({
        id: customerId,
      });
      await expect(
        grpc.call('ListUsers', {}, { token: forged, requestId: 'log-grpc-3' }),
      ).rejects.toMatchObject({
        code: status.UNAUTHENTICATED,
      });
      await expect(
        grpc.call(
          'GetUser',
          { id: customerId },
          { authorization: `Basic ${customer}`, requestId: 'log-grpc-4' },
        ),
      ).rejects.toMatchObject({ code: status.UNAUTHENTICATED });
    } finally {
      grpc.close();
    }
    service.child.kill('SIGTERM');
    expect(await service.exited).toBe(0);

    const output = service.output();
    // The calls were logged (so this looks at the right lines)...
    for (const id of [
      'log-rest-1',
      'log-rest-2',
      'log-rest-4',
      'log-grpc-1',
      'log-grpc-2',
      'log-grpc-3',
      'log-grpc-4',
    ])
      expect(output).toContain(`"requestId":"${id}"`);
    // ...and none carries a token (or any of its three parts), a password, a card number or the header.
    for (const token of tokens) {
      for (const part of [token, ...token.split('.').filter((piece) => piece.length > 20)])
        expect(output).not.toContain(part);
    }
    expect(output).not.toContain(password);
    expect(output).not.toContain('4242424242424242');
    expect(output).not.toMatch(/bearer /i);
    expect(output).not.toMatch(/"authorization"/i);
  });

  it('gives a profile to every user registered while it was down, once it is back (each once)', async () => {
    // The first start declares the durable queue user.profiles; then the service stops.
    const first = await serve({ PG_URL: db.url, ...issuer.env() });
    running.push(first);
    first.child.kill('SIGTERM');
    expect(await first.exited).toBe(0);

    // Auth goes on registering users meanwhile (its envelopes, as its relay publishes them).
    const users = Array.from({ length: 5 }, () => ({
      userId: randomUUID(),
      email: uniqueEmail(),
      name: 'Offline Registrant',
    }));
    const connection = await connect(vhost.url);
    try {
      const channel = await connection.createConfirmChannel();
      for (const user of users) {
        const envelope = {
          specversion: '1.0',
          id: randomUUID(),
          source: 'auth',
          type: 'user.registered',
          time: new Date().toISOString(),
          subject: user.userId,
          datacontenttype: 'application/json',
          data: user,
        };
        // Delivered twice, as at-least-once delivery may.
        for (let copy = 0; copy < 2; copy += 1)
          channel.publish('auth.events', 'user.registered', Buffer.from(JSON.stringify(envelope)), {
            persistent: true,
          });
      }
      await channel.waitForConfirms();
    } finally {
      await connection.close();
    }

    const second = await serve({ PG_URL: db.url, ...issuer.env() });
    running.push(second);
    const admin = { authorization: `Bearer ${await issuer.mint({ roles: ['admin'] })}` };
    try {
      for (const user of users) {
        await waitFor(
          async () =>
            (await fetch(`${second.base}/api/v1/users/${user.userId}`, { headers: admin })).status === 200,
        );
        const byEmail = (await (
          await fetch(`${second.base}/api/v1/users?email=${encodeURIComponent(user.email)}`, {
            headers: admin,
          })
        ).json()) as { items: { id: string; name: string }[] };
        expect(byEmail.items).toEqual([expect.objectContaining({ id: user.userId, name: user.name })]);
      }
    } finally {
      second.child.kill('SIGTERM');
      expect(await second.exited).toBe(0);
    }
  });
});
