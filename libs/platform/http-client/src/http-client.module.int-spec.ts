import type { AddressInfo } from 'node:net';

import { DiscoveryEnv, DiscoveryModule } from '@emporium/platform/discovery';
import {
  currentDeadline,
  PlatformModule,
  remainingMs,
  REQUEST_TIMEOUT_HEADER,
  ServiceDescriptor,
} from '@emporium/platform/http';
import { createTestApp, TestApp } from '@emporium/platform/test-app';
import { Controller, Get, Headers, Module } from '@nestjs/common';
import request from 'supertest';

import { FAST_CLIENT_ENV } from '../test/clients';
import { waitFor } from '../test/upstream';
import { HttpClientModule, InjectServiceClient } from './http-client.module';
import { HttpClientEnv } from './http-client-env';
import { ServiceClient } from './service-client';

/** What the callee saw of each slow request: its budget, and whether its deadline aborted it. */
const calleeSaw: { remaining?: number; aborted: boolean }[] = [];

@Controller('slow')
class SlowController {
  @Get()
  async slow(): Promise<object> {
    const deadline = currentDeadline();
    const seen: { remaining?: number; aborted: boolean } = {
      remaining: deadline ? remainingMs(deadline) : undefined,
      aborted: false,
    };
    calleeSaw.push(seen);
    await new Promise<void>((resolve) => {
      const fallback = setTimeout(resolve, 5_000);
      deadline?.signal.addEventListener('abort', () => {
        clearTimeout(fallback);
        seen.aborted = true;
        resolve();
      });
    });
    return {};
  }

  @Get('echo')
  echo(@Headers() headers: Record<string, string | undefined>): object {
    return {
      requestId: headers['x-request-id'],
      budget: Number(headers[REQUEST_TIMEOUT_HEADER]),
      authorization: headers['authorization'] ?? null,
    };
  }
}

const PRODUCT: ServiceDescriptor = {
  name: 'product',
  version: '0.0.1',
  defaultPort: 3003,
  description: 'callee',
  env: [],
};

@Module({ imports: [PlatformModule.forService(PRODUCT)], controllers: [SlowController] })
class ProductModule {}

@Controller('proxy')
class ProxyController {
  constructor(@InjectServiceClient('product') private readonly product: ServiceClient) {}

  @Get('slow')
  slow(): Promise<object> {
    return this.product.get('/api/v1/slow', { timeoutMs: 300 });
  }

  @Get('echo')
  echo(@Headers('authorization') authorization?: string): Promise<object> {
    return this.product.get('/api/v1/slow/echo', { authorization });
  }

  @Get('echo-anonymous')
  echoAnonymous(): Promise<object> {
    return this.product.get('/api/v1/slow/echo');
  }
}

const ORDER: ServiceDescriptor = {
  name: 'order',
  version: '0.0.1',
  defaultPort: 3005,
  description: 'caller',
  env: [DiscoveryEnv, HttpClientEnv],
};

@Module({
  imports: [
    PlatformModule.forService(ORDER),
    DiscoveryModule.forRoot(),
    HttpClientModule.forRoot({ targets: ['product'] }),
  ],
  controllers: [ProxyController],
})
class OrderModule {}

describe('HttpClientModule in a service', () => {
  let product: TestApp;
  let order: TestApp;

  beforeAll(async () => {
    product = await createTestApp({ module: ProductModule, service: PRODUCT });
    await product.app.listen(0, '127.0.0.1');
    const port = (product.server.address() as AddressInfo).port;
    order = await createTestApp({
      module: OrderModule,
      service: ORDER,
      env: { ...FAST_CLIENT_ENV, SERVICE_PRODUCT_URL: `http://127.0.0.1:${port}` },
    });
  });

  afterAll(async () => {
    await order?.close();
    await product?.close();
  });

  it('answers 504 DEADLINE_EXCEEDED when the callee is too slow, and the callee stops when its deadline passes', async () => {
    const response = await request(order.server).get('/api/v1/proxy/slow').expect(504);
    expect(response.headers['content-type']).toContain('application/problem+json');
    expect(response.body).toMatchObject({
      status: 504,
      code: 'DEADLINE_EXCEEDED',
      instance: '/api/v1/proxy/slow',
    });

    await waitFor(
      () => calleeSaw.length === 1 && calleeSaw[0].aborted,
      'the callee is aborted by its deadline',
    );
    expect(calleeSaw[0].remaining).toBeGreaterThan(0);
    expect(calleeSaw[0].remaining).toBeLessThanOrEqual(300);
  });

  it('carries the request id and what is left of the incoming deadline to the callee', async () => {
    const response = await request(order.server)
      .get('/api/v1/proxy/echo-anonymous')
      .set('X-Request-Id', 'req-test-123')
      .set(REQUEST_TIMEOUT_HEADER, '150')
      .expect(200);
    expect(response.body.requestId).toBe('req-test-123');
    expect(response.body.budget).toBeGreaterThan(0);
    expect(response.body.budget).toBeLessThanOrEqual(150);
    expect(response.body.authorization).toBeNull();
  });

  it("forwards the caller's authorization when the call passes it", async () => {
    const response = await request(order.server)
      .get('/api/v1/proxy/echo')
      .set('Authorization', 'Bearer token-of-the-user')
      .expect(200);
    expect(response.body.authorization).toBe('Bearer token-of-the-user');
  });

  it('answers 503 UPSTREAM_UNAVAILABLE with Retry-After when the callee is down', async () => {
    await product.close();
    const response = await request(order.server).get('/api/v1/proxy/echo-anonymous').expect(503);
    expect(response.headers['retry-after']).toBe('5');
    expect(response.body).toMatchObject({ code: 'UPSTREAM_UNAVAILABLE' });
    expect(JSON.stringify(response.body)).not.toContain('127.0.0.1');
    product = undefined as unknown as TestApp;
  });
});
