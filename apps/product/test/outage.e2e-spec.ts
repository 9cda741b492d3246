import { randomUUID } from 'node:crypto';

import { TcpProxy, TEST_PG_ADMIN_URL } from '@emporium/platform/testing';
import request from 'supertest';

import { ProductTestContext, startProductApp } from './product-app';

// The app reaches PostgreSQL through a proxy the test can cut, as a network partition or a database
// restart would.
describe('product while PostgreSQL is unreachable', () => {
  let proxy: TcpProxy;
  let ctx: ProductTestContext;

  beforeAll(async () => {
    const admin = new URL(TEST_PG_ADMIN_URL);
    proxy = await TcpProxy.start(admin.hostname, Number(admin.port || 5432));
    ctx = await startProductApp({}, (databaseUrl) => proxy.route(databaseUrl));
  });

  afterAll(async () => {
    await ctx?.close();
    await proxy?.stop();
  });

  it('answers 503 problems with Retry-After, reports not ready, and recovers when the database is back', async () => {
    const http = () => request(ctx.testApp.server);
    await http().get('/health/ready').expect(200);

    proxy.cut();
    const read = await http().get(`/api/v1/products/${randomUUID()}`).expect(503);
    expect(read.headers['retry-after']).toBe('5');
    expect(read.body).toMatchObject({ status: 503, code: 'DATABASE_UNAVAILABLE' });
    expect(JSON.stringify(read.body)).not.toMatch(/127\.0\.0\.1|ECONNREFUSED|postgres/i);
    await http()
      .post('/api/v1/products')
      .auth(ctx.adminToken, { type: 'bearer' })
      .send({
        sku: 'OUTAGE-1',
        name: 'n',
        description: '',
        price: { amount: 1, currency: 'USD' },
        category: 'c',
      })
      .expect(503);
    const ready = await http().get('/health/ready').expect(503);
    expect(ready.body).toMatchObject({ status: 'error', error: { database: { status: 'down' } } });
    await http().get('/health/live').expect(200);

    proxy.restore();
    await http().get(`/api/v1/products/${randomUUID()}`).expect(404);
    await http().get('/health/ready').expect(200);
  });
});
