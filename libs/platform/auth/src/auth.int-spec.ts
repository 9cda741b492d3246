import type { Server } from 'node:http';

import { AuthEnv, ConfigModule } from '@emporium/platform/config';
import { TestTokenIssuer } from '@emporium/platform/testing';
import { Controller, Get } from '@nestjs/common';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { Test } from '@nestjs/testing';
import request from 'supertest';

import { ApiAccessToken, AuthenticatedUser, AuthModule, CurrentUser, Public, Roles } from './index';

const CUSTOMER_ID = '2b1f4c52-4a47-4d3f-9a53-3c1b8a6f0e11';
const ADMIN_ID = '7d0f1a63-2f7e-4a41-b7e4-8c3e0c5b9d22';
const INVALID_TOKEN = 'Bearer error="invalid_token"';

@ApiAccessToken()
@Controller('things')
class ThingsController {
  @Public()
  @Get('public')
  open(): { ok: true } {
    return { ok: true };
  }

  @Get('mine')
  mine(@CurrentUser() user: AuthenticatedUser): { id: string; roles: readonly string[] } {
    return { id: user.id, roles: user.roles };
  }

  @Roles('admin')
  @Get('admin')
  admin(@CurrentUser('id') id: string): { id: string } {
    return { id };
  }
}

@Public()
@Controller('catalogue')
class CatalogueController {
  @Get()
  list(): { items: [] } {
    return { items: [] };
  }

  @Roles('admin')
  @Get('drafts')
  drafts(): { items: [] } {
    return { items: [] };
  }
}

interface AppOptions {
  cooldownMs?: number;
  cacheMs?: number;
}

async function startApp(issuer: TestTokenIssuer, options: AppOptions = {}): Promise<NestFastifyApplication> {
  const moduleRef = await Test.createTestingModule({
    imports: [
      ConfigModule.forRoot({
        schemas: [AuthEnv],
        source: { ...issuer.env(), AUTH_JWKS_CACHE_MS: String(options.cacheMs ?? 600_000) },
      }),
      AuthModule.forRoot({ jwksCooldownMs: options.cooldownMs ?? 30_000, jwksTimeoutMs: 1_000 }),
    ],
    controllers: [ThingsController, CatalogueController],
  }).compile();
  const app = moduleRef.createNestApplication<NestFastifyApplication>(new FastifyAdapter(), {
    logger: false,
  });
  app.setGlobalPrefix('api/v1');
  await app.init();
  await app.getHttpAdapter().getInstance().ready();
  return app;
}

function serverOf(app: NestFastifyApplication): Server {
  return app.getHttpAdapter().getInstance().server;
}

function get(sut: Server, path: string, token?: string): request.Test {
  const call = request(sut).get(`/api/v1${path}`);
  return token === undefined ? call : call.set('Authorization', `Bearer ${token}`);
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

describe('AccessTokenGuard over HTTP', () => {
  let issuer: TestTokenIssuer;
  let app: NestFastifyApplication;
  let sut: Server;

  beforeAll(async () => {
    issuer = await TestTokenIssuer.start();
    app = await startApp(issuer);
    sut = serverOf(app);
  });

  afterAll(async () => {
    await app?.close();
    await issuer?.stop();
  });

  it('serves a @Public() route without a token', async () => {
    await get(sut, '/things/public').expect(200, { ok: true });
  });

  it('serves an authenticated route to a valid token, and the handler sees the caller', async () => {
    const token = await issuer.mint({ sub: CUSTOMER_ID, roles: ['customer'] });

    await get(sut, '/things/mine', token).expect(200, { id: CUSTOMER_ID, roles: ['customer'] });
  });

  it('answers a request without a token with 401 and a Bearer challenge', async () => {
    const response = await get(sut, '/things/mine').expect(401);

    expect(response.headers['www-authenticate']).toBe('Bearer');
    expect(response.body).toMatchObject({ message: 'Missing access token' });
  });

  it('answers another auth scheme with 401 and a Bearer challenge', async () => {
    const response = await request(sut)
      .get('/api/v1/things/mine')
      .set('Authorization', 'Basic dXNlcjpwYXNz')
      .expect(401);

    expect(response.headers['www-authenticate']).toBe('Bearer');
  });

  describe.each<[string, () => Promise<string> | string]>([
    ['alg none', () => issuer.mintUnsigned({ sub: CUSTOMER_ID, roles: ['admin'] })],
    ['HS256 keyed with the public key PEM', () => issuer.mintHs256WithPublicKey()],
    ['HS256 keyed with the public JWK', () => issuer.mintHs256WithPublicKey({ secret: 'jwk' })],
    ['an unknown kid', () => issuer.mintWith({ key: 'other' })],
    ['a known kid but another key', () => issuer.mintWith({ key: 'other', header: { kid: issuer.kid } })],
    ['a jku header', () => issuer.mintWith({ header: { jku: 'http://127.0.0.1:9/jwks.json' } })],
    ['the wrong issuer', () => issuer.mintWrongIssuer()],
    ['the wrong audience', () => issuer.mintWrongAudience()],
    ['typ JWT', () => issuer.mintWrongType('JWT')],
    ['no typ', () => issuer.mintWith({ header: { typ: undefined } })],
    ['an exp in the past', () => issuer.mintExpired()],
    ['an nbf in the future', () => issuer.mintNotYetValid()],
    ['a payload edited after signing', () => issuer.mintTampered({ roles: ['admin'] })],
    ['an unknown role', () => issuer.mint({ roles: ['superuser'] })],
    ['a sub that is not a UUID', () => issuer.mint({ sub: 'admin' })],
    ['no jti', () => issuer.mint({ jti: undefined })],
    ['more than 8 KiB', () => issuer.mint({ padding: 'x'.repeat(8 * 1024) })],
  ])('a token with %s', (_case, forge) => {
    it('gets 401 with an invalid_token challenge and no echo of the token', async () => {
      const token = await forge();

      const response = await get(sut, '/things/mine', token).expect(401);

      expect(response.headers['www-authenticate']).toBe(INVALID_TOKEN);
      expect(['Invalid access token', 'Access token expired']).toContain(response.body.message);
      expect(response.text).not.toContain(token.split('.')[1]);
    });
  });

  it('forbids (403) a customer on an admin route', async () => {
    const token = await issuer.mint({ sub: CUSTOMER_ID, roles: ['customer'] });

    const response = await get(sut, '/things/admin', token).expect(403);

    expect(response.headers['www-authenticate']).toBeUndefined();
    expect(response.body).toMatchObject({ message: 'Insufficient role' });
  });

  it('serves an admin route to an admin', async () => {
    const token = await issuer.mint({ sub: ADMIN_ID, roles: ['admin'] });

    await get(sut, '/things/admin', token).expect(200, { id: ADMIN_ID });
  });

  it('still requires a token on a @Roles() route of a @Public() controller', async () => {
    await get(sut, '/catalogue').expect(200);
    await get(sut, '/catalogue/drafts').expect(401);
  });

  it('marks authenticated routes with bearer security in the OpenAPI document', () => {
    const document = SwaggerModule.createDocument(app, new DocumentBuilder().addBearerAuth().build());

    expect(document.paths['/api/v1/things/mine']?.get?.security).toEqual([{ bearer: [] }]);
    expect(document.components?.securitySchemes?.['bearer']).toMatchObject({
      type: 'http',
      scheme: 'bearer',
    });
  });
});

describe('AccessTokenGuard and the JWKS', () => {
  const COOLDOWN_MS = 300;
  let issuer: TestTokenIssuer;
  let app: NestFastifyApplication | undefined;

  beforeEach(async () => {
    issuer = await TestTokenIssuer.start();
  });

  afterEach(async () => {
    await app?.close();
    app = undefined;
    await issuer.stop();
  });

  async function startSut(options: AppOptions = {}): Promise<Server> {
    app = await startApp(issuer, { cooldownMs: COOLDOWN_MS, ...options });
    return serverOf(app);
  }

  it('fetches the keys once and verifies later tokens from the cache', async () => {
    const sut = await startSut();

    for (let i = 0; i < 5; i += 1) await get(sut, '/things/mine', await issuer.mint()).expect(200);

    expect(issuer.jwksRequestCount).toBe(1);
  });

  it('refetches for unknown kids at most once per cooldown', async () => {
    // Long enough that the ten requests below surely fit in one cooldown, even on a loaded machine.
    const cooldownMs = 1_000;
    const sut = await startSut({ cooldownMs });
    await get(sut, '/things/mine', await issuer.mint()).expect(200);
    await sleep(cooldownMs + 50);

    const forged = await issuer.mintWith({ key: 'other' });
    for (let i = 0; i < 5; i += 1) await get(sut, '/things/mine', forged).expect(401);
    await Promise.all(Array.from({ length: 5 }, async () => get(sut, '/things/mine', forged).expect(401)));

    expect(issuer.jwksRequestCount).toBe(2);
  });

  it('accepts a token signed with a newly rotated key once it refetches, and still the old key', async () => {
    const sut = await startSut();
    const beforeRotation = await issuer.mint();
    await get(sut, '/things/mine', beforeRotation).expect(200);

    await issuer.rotate();
    await sleep(COOLDOWN_MS + 50);

    await get(sut, '/things/mine', await issuer.mint()).expect(200);
    await get(sut, '/things/mine', beforeRotation).expect(200);
    expect(issuer.jwksRequestCount).toBe(2);
  });

  it('keeps verifying with cached keys while auth is down', async () => {
    const sut = await startSut();
    await get(sut, '/things/mine', await issuer.mint()).expect(200);

    await issuer.stop();

    await get(sut, '/things/mine', await issuer.mint()).expect(200);
  });

  it('keeps verifying with the last keys when auth is down past the cache age', async () => {
    const sut = await startSut({ cacheMs: 1_000 });
    await get(sut, '/things/mine', await issuer.mint()).expect(200);

    await issuer.stop();
    await sleep(1_100);

    await get(sut, '/things/mine', await issuer.mint()).expect(200);
    await get(sut, '/things/mine', await issuer.mintWith({ key: 'other' })).expect(503);
  });

  it('answers 503, not 401, when auth is down and no key was ever fetched', async () => {
    const sut = await startSut();
    await issuer.stop();

    const response = await get(sut, '/things/mine', await issuer.mint()).expect(503);

    expect(response.headers['www-authenticate']).toBeUndefined();
  });
});
