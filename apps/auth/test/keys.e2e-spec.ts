import { generateKeyPairSync, KeyObject } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { AccessTokenVerifier, AuthModule, InvalidAccessTokenException } from '@emporium/platform/auth';
import { AuthEnv, ConfigModule } from '@emporium/platform/config';
import { TestApp } from '@emporium/platform/test-app';
import { INestApplicationContext } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { calculateJwkThumbprint, exportJWK, SignJWT } from 'jose';
import request from 'supertest';

import { decodeJwtPart, registration, startAuthApp, TokenPair } from './auth-app';

interface Jwks {
  keys: { kid: string; n: string }[];
}

function rsaKey(): { privatePem: string; publicPem: string; privateKey: KeyObject } {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return {
    privatePem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    publicPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    privateKey,
  };
}

async function thumbprint(pem: KeyObject): Promise<string> {
  const { kty, n, e } = await exportJWK(pem);
  return calculateJwkThumbprint({ kty, n, e }, 'sha256');
}

async function listen(app: TestApp): Promise<string> {
  await app.app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.server.address() as { port: number };
  return `http://127.0.0.1:${address.port}/.well-known/jwks.json`;
}

/** What another service runs: libs/platform/auth's verifier, configured with auth's real JWKS URL. */
async function verifierFor(
  jwksUrl: string,
): Promise<{ verifier: AccessTokenVerifier; close(): Promise<void> }> {
  const moduleRef: INestApplicationContext = await Test.createTestingModule({
    imports: [
      ConfigModule.forRoot({ schemas: [AuthEnv], source: { AUTH_JWKS_URL: jwksUrl } }),
      AuthModule.forRoot({ jwksCooldownMs: 1_000 }),
    ],
  }).compile();
  return { verifier: moduleRef.get(AccessTokenVerifier), close: () => moduleRef.close() };
}

async function loginOn(app: TestApp): Promise<{ pair: TokenPair; userId: string; email: string }> {
  const input = registration();
  const registered = await request(app.server).post('/api/v1/auth/register').send(input).expect(201);
  const pair = (
    await request(app.server)
      .post('/api/v1/auth/login')
      .send({ email: input.email, password: input.password })
      .expect(200)
  ).body as TokenPair;
  return { pair, userId: (registered.body as { userId: string }).userId, email: input.email };
}

describe('a service verifying auth-issued tokens against the real JWKS (generated local key)', () => {
  let testApp: TestApp;
  let replica: TestApp;
  let jwksUrl: string;

  beforeAll(async () => {
    testApp = await startAuthApp();
    jwksUrl = await listen(testApp);
    replica = await startAuthApp({ PG_URL: testApp.db?.url ?? '' }, false);
  });

  afterAll(async () => {
    await replica?.close();
    await testApp?.close();
  });

  it('accepts a token auth issued and refuses it once tampered with', async () => {
    const { pair, userId, email } = await loginOn(testApp);
    const { verifier, close } = await verifierFor(jwksUrl);
    try {
      await expect(verifier.verify(pair.accessToken)).resolves.toMatchObject({
        id: userId,
        email,
        roles: ['customer'],
      });
      const [header, payload, signature] = pair.accessToken.split('.');
      const claims = JSON.parse(Buffer.from(payload, 'base64url').toString()) as Record<string, unknown>;
      const forged = Buffer.from(JSON.stringify({ ...claims, roles: ['customer', 'admin'] })).toString(
        'base64url',
      );
      await expect(verifier.verify(`${header}.${forged}.${signature}`)).rejects.toMatchObject({
        reason: 'bad_signature',
      });
      const flipped = `${signature.slice(0, -2)}${signature.endsWith('AA') ? 'BB' : 'AA'}`;
      await expect(verifier.verify(`${header}.${payload}.${flipped}`)).rejects.toBeInstanceOf(
        InvalidAccessTokenException,
      );
    } finally {
      await close();
    }
  });

  it('signs with the same generated key on every replica (so also after a restart)', async () => {
    const jwksA = (await request(testApp.server).get('/.well-known/jwks.json').expect(200)).body as Jwks;
    const jwksB = (await request(replica.server).get('/.well-known/jwks.json').expect(200)).body as Jwks;
    expect(jwksB).toEqual(jwksA);
    // A token from the other replica verifies against the first one's JWKS.
    const { pair } = await loginOn(replica);
    expect(decodeJwtPart<{ kid: string }>(pair.accessToken, 0).kid).toBe(jwksA.keys[0].kid);
    const { verifier, close } = await verifierFor(jwksUrl);
    try {
      await expect(verifier.verify(pair.accessToken)).resolves.toMatchObject({ roles: ['customer'] });
    } finally {
      await close();
    }
  });
});

describe('signing keys from configuration, and rotation', () => {
  const current = rsaKey();
  const previous = rsaKey();
  const next = rsaKey();
  let dir: string;
  let testApp: TestApp;
  let jwksUrl: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'auth-keys-'));
    writeFileSync(join(dir, 'current.pem'), current.privatePem, { mode: 0o600 });
    writeFileSync(join(dir, 'previous.pem'), previous.privatePem, { mode: 0o600 });
    testApp = await startAuthApp({
      NODE_ENV: 'production',
      AUTH_SIGNING_KEY_FILE: join(dir, 'current.pem'),
      AUTH_PREVIOUS_SIGNING_KEY_FILE: join(dir, 'previous.pem'),
      AUTH_NEXT_SIGNING_KEY: next.publicPem,
    });
    jwksUrl = await listen(testApp);
  });

  afterAll(async () => {
    await testApp?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('signs with the configured key, kid = its RFC 7638 thumbprint, and generates nothing', async () => {
    const { pair } = await loginOn(testApp);
    expect(decodeJwtPart<{ kid: string }>(pair.accessToken, 0).kid).toBe(
      await thumbprint(current.privateKey),
    );
    const generated = await testApp.app
      .get((await import('typeorm')).DataSource)
      .query('SELECT 1 FROM auth.local_signing_key');
    expect(generated).toEqual([]);
  });

  it('publishes current, next and previous keys, public halves only', async () => {
    const response = await request(testApp.server).get('/.well-known/jwks.json').expect(200);
    const jwks = response.body as Jwks;
    expect(jwks.keys.map((key) => key.kid)).toEqual([
      await thumbprint(current.privateKey),
      await thumbprint(next.privateKey),
      await thumbprint(previous.privateKey),
    ]);
    expect(response.text).not.toMatch(/"(d|p|q|dp|dq|qi)"/);
  });

  it('keeps tokens signed with the previous key valid while it is published', async () => {
    const { pair, userId } = await loginOn(testApp);
    const claims = decodeJwtPart<Record<string, unknown>>(pair.accessToken, 1);
    const signedBefore = await new SignJWT(claims)
      .setProtectedHeader({ alg: 'RS256', typ: 'at+jwt', kid: await thumbprint(previous.privateKey) })
      .sign(previous.privateKey);
    const { verifier, close } = await verifierFor(jwksUrl);
    try {
      await expect(verifier.verify(signedBefore)).resolves.toMatchObject({ id: userId });
    } finally {
      await close();
    }
  });
});
