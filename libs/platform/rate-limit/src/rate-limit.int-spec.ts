import { Public } from '@emporium/platform/auth';
import { AuthEnv, PgEnv } from '@emporium/platform/config';
import { DatabaseModule, ServiceDatabase } from '@emporium/platform/database';
import { PlatformModule, ServiceDescriptor } from '@emporium/platform/http';
import { createTestApp, TestApp } from '@emporium/platform/test-app';
import { Body, Controller, Get, HttpCode, Module, Post } from '@nestjs/common';
import { IsString } from 'class-validator';
import request from 'supertest';

import { RateLimit } from './rate-limit.decorator';
import { RateLimitModule } from './rate-limit.module';
import { byBodyField, byClientIp } from './rate-limit-policy';
import { CreateRateLimitTable1795556000000 } from './rate-limit-table.migration';

class SignInBody {
  @IsString()
  email!: string;
}

@Public()
@Controller('limited')
class LimitedController {
  @Post('sign-in')
  @HttpCode(200)
  @RateLimit('sign-in-ip', 'sign-in-account')
  signIn(@Body() body: SignInBody): { email: string } {
    return { email: body.email };
  }

  @Get('free')
  free(): { ok: true } {
    return { ok: true };
  }

  @Get('typo')
  @RateLimit('no-such-policy')
  typo(): { ok: true } {
    return { ok: true };
  }
}

const DATABASE: ServiceDatabase = {
  schema: 'rl_app',
  entities: [],
  migrations: [CreateRateLimitTable1795556000000],
};
const SERVICE: ServiceDescriptor = {
  name: 'rl-app',
  version: '0.0.0',
  defaultPort: 3999,
  description: 'Rate-limit test app',
  env: [PgEnv, AuthEnv],
};

@Module({
  imports: [
    PlatformModule.forService(SERVICE),
    DatabaseModule.forRoot(DATABASE),
    RateLimitModule.forRoot({
      policies: [
        { name: 'sign-in-ip', limit: 6, windowMs: 60_000, tracker: byClientIp() },
        {
          name: 'sign-in-account',
          limit: 3,
          windowMs: 60_000,
          blockMs: 120_000,
          tracker: byBodyField('email'),
        },
      ],
    }),
  ],
  controllers: [LimitedController],
})
class RateLimitedAppModule {}

interface ProblemBody {
  status: number;
  code: string;
  type: string;
  detail: string;
}

// Two apps on one database: two replicas of a service behind one load balancer.
describe('RateLimitModule in an app', () => {
  let replicaA: TestApp;
  let replicaB: TestApp;

  beforeAll(async () => {
    // Behind one proxy (as in Kubernetes), whose X-Forwarded-For the tests write to play several clients.
    const behindProxy = { HTTP_TRUSTED_PROXY_HOPS: '1' };
    replicaA = await createTestApp({
      module: RateLimitedAppModule,
      service: SERVICE,
      database: DATABASE,
      env: behindProxy,
    });
    replicaB = await createTestApp({
      module: RateLimitedAppModule,
      service: SERVICE,
      env: { ...behindProxy, PG_URL: replicaA.db?.url ?? '' },
    });
  });

  afterAll(async () => {
    await replicaB?.close();
    await replicaA?.close();
  });

  const signIn = (app: TestApp, email: unknown, ip = '198.51.100.1') =>
    request(app.server).post('/api/v1/limited/sign-in').set('X-Forwarded-For', ip).send({ email });

  it('refuses the request past the per-account limit on any replica: 429 problem with Retry-After', async () => {
    await signIn(replicaA, 'ada@example.com').expect(200);
    await signIn(replicaB, 'ADA@example.com ', '198.51.100.2').expect(200);
    await signIn(replicaA, 'ada@example.com', '198.51.100.3').expect(200);
    const refused = await signIn(replicaB, 'ada@example.com', '198.51.100.4').expect(429);
    expect(refused.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(refused.headers['retry-after']).toBe('120');
    expect(refused.body as ProblemBody).toMatchObject({
      status: 429,
      code: 'TOO_MANY_REQUESTS',
      type: 'urn:emporium:problem:too-many-requests',
    });
    // Another account from the same addresses is not affected.
    await signIn(replicaA, 'grace@example.com', '198.51.100.4').expect(200);
  });

  it('refuses the request past the per-IP limit whatever the account', async () => {
    const ip = '203.0.113.9';
    for (let i = 0; i < 6; i += 1)
      await signIn(i % 2 ? replicaA : replicaB, `user${i}@example.com`, ip).expect(200);
    const refused = await signIn(replicaA, 'someone-new@example.com', ip).expect(429);
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
    await signIn(replicaA, 'someone-new@example.com', '203.0.113.10').expect(200);
  });

  it('exempts bodies without the tracked field from that policy (validation refuses them)', async () => {
    for (let i = 0; i < 5; i += 1) await signIn(replicaA, 42, `192.0.2.${i + 1}`).expect(400);
  });

  it('leaves routes without @RateLimit alone and sends no X-RateLimit headers', async () => {
    for (let i = 0; i < 10; i += 1) await request(replicaA.server).get('/api/v1/limited/free').expect(200);
    const response = await signIn(replicaA, 'headers@example.com', '192.0.2.200').expect(200);
    expect(Object.keys(response.headers).filter((name) => name.startsWith('x-ratelimit'))).toEqual([]);
  });

  it('fails loudly on a route naming an unknown policy', async () => {
    await request(replicaA.server).get('/api/v1/limited/typo').expect(500);
  });

  it('counts refusals per policy, in the replica that refused', async () => {
    const metricsOf = async (app: TestApp): Promise<string> =>
      (await request(app.server).get('/metrics').expect(200)).text;
    expect(await metricsOf(replicaB)).toMatch(/^rate_limited_requests_total\{policy="sign-in-account"\} 1$/m);
    expect(await metricsOf(replicaA)).toMatch(/^rate_limited_requests_total\{policy="sign-in-ip"\} 1$/m);
  });

  it('documents the 429 in the OpenAPI document', async () => {
    const openapi = await request(replicaA.server).get('/api/docs-json').expect(200);
    const post = (
      openapi.body as { paths: Record<string, { post?: { responses: Record<string, unknown> } }> }
    ).paths['/api/v1/limited/sign-in']?.post;
    expect(post?.responses['429']).toBeDefined();
  });
});
