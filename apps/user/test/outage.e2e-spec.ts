import { randomUUID } from 'node:crypto';

import { TcpProxy, TEST_PG_ADMIN_URL } from '@emporium/platform/testing';
import { waitFor } from '@emporium/platform/testing';
import { status } from '@grpc/grpc-js';

import { expectProblem } from './expectations';
import { HealthClient } from './grpc-clients';
import { Actor, startUserApp, UserTestContext } from './user-app';

// The app reaches PostgreSQL through a proxy the test can cut, as a network partition or a database
// restart would: REST answers 503, gRPC UNAVAILABLE, both health endpoints say not ready, and all recover.
describe('user while PostgreSQL is unreachable', () => {
  let proxy: TcpProxy;
  let ctx: UserTestContext;
  let health: HealthClient;
  let user: Actor;

  beforeAll(async () => {
    const admin = new URL(TEST_PG_ADMIN_URL);
    proxy = await TcpProxy.start(admin.hostname, Number(admin.port || 5432));
    ctx = await startUserApp({ routeDatabase: (databaseUrl) => proxy.route(databaseUrl) });
    health = new HealthClient(ctx.grpcPort);
    user = await ctx.customer();
  });

  afterAll(async () => {
    health?.close();
    await ctx?.close();
    await proxy?.stop();
  });

  it('answers 503 / UNAVAILABLE, reports NOT_SERVING, and recovers when the database is back', async () => {
    const http = () => ctx.http();
    await http().get('/health/ready').expect(200);
    await expect(health.check()).resolves.toBe('SERVING');

    proxy.cut();
    const read = await http().get('/api/v1/users/me').auth(user.token, { type: 'bearer' }).expect(503);
    expect(read.headers['retry-after']).toBe('5');
    expectProblem(read.body, 503, 'DATABASE_UNAVAILABLE');
    await expect(ctx.grpc.call('GetUser', { id: user.id }, { token: user.token })).rejects.toMatchObject({
      code: status.UNAVAILABLE,
      details: 'The service is temporarily unavailable; retry later',
      trailers: { 'error-code': 'DATABASE_UNAVAILABLE' },
    });
    await expect(
      ctx.grpc.call('UpdateUser', { id: user.id, name: 'During the outage' }, { token: user.token }),
    ).rejects.toMatchObject({ code: status.UNAVAILABLE });
    await http().get('/health/ready').expect(503);
    await waitFor(async () => (await health.check()) === 'NOT_SERVING');
    await expect(health.check('emporium.user.v1.UserService')).resolves.toBe('NOT_SERVING');
    await http().get('/health/live').expect(200);

    proxy.restore();
    await waitFor(async () => (await health.check()) === 'SERVING');
    await expect(ctx.grpc.call('GetUser', { id: user.id }, { token: user.token })).resolves.toMatchObject({
      id: user.id,
      name: user.name,
    });
    await expect(
      ctx.grpc.call('GetUser', { id: randomUUID() }, { token: (await ctx.admin()).token }),
    ).rejects.toMatchObject({ code: status.NOT_FOUND });
    await http().get('/health/ready').expect(200);
  });
});
