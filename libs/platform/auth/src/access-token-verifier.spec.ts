import { AuthEnv, loadEnv } from '@emporium/platform/config';
import { ServiceUnavailableException } from '@nestjs/common';
import {
  base64url,
  createLocalJWKSet,
  exportJWK,
  exportSPKI,
  generateKeyPair,
  JWK,
  JWTHeaderParameters,
  KeyLike,
  SignJWT,
} from 'jose';

import { AccessTokenKeys } from './access-token-keys';
import { AccessTokenVerifier } from './access-token-verifier';
import { AccessTokenKeysUnavailableException, InvalidAccessTokenException } from './auth.exceptions';

const USER_ID = '2b1f4c52-4a47-4d3f-9a53-3c1b8a6f0e11';

interface TestKey {
  kid: string;
  privateKey: KeyLike;
  publicKey: KeyLike;
  publicJwk: JWK;
}

async function testKey(kid: string): Promise<TestKey> {
  const { privateKey, publicKey } = await generateKeyPair('RS256', { extractable: true });
  return { kid, privateKey, publicKey, publicJwk: { ...(await exportJWK(publicKey)), kid, alg: 'RS256' } };
}

describe(AccessTokenVerifier.name, () => {
  let published: TestKey;
  let unpublished: TestKey;
  let keys: { resolve: jest.Mock };
  let sut: AccessTokenVerifier;

  const now = () => Math.floor(Date.now() / 1000);

  async function token(
    options: { header?: Record<string, unknown>; claims?: Record<string, unknown>; key?: 'unpublished' } = {},
  ): Promise<string> {
    const key = options.key === 'unpublished' ? unpublished : published;
    return new SignJWT({
      iss: 'emporium-auth',
      aud: 'emporium',
      sub: USER_ID,
      email: 'ada@example.test',
      roles: ['customer'],
      iat: now(),
      exp: now() + 900,
      jti: 'token-1',
      ...options.claims,
    })
      .setProtectedHeader({
        alg: 'RS256',
        typ: 'at+jwt',
        kid: key.kid,
        ...options.header,
      } as JWTHeaderParameters)
      .sign(key.privateKey);
  }

  beforeAll(async () => {
    [published, unpublished] = await Promise.all([testKey('key-1'), testKey('key-2')]);
  });

  beforeEach(() => {
    const local = createLocalJWKSet({ keys: [published.publicJwk] });
    keys = { resolve: jest.fn(local) };
    const env = loadEnv(AuthEnv, { AUTH_ISSUER: 'emporium-auth', AUTH_AUDIENCE: 'emporium' });
    sut = new AccessTokenVerifier(env, keys as AccessTokenKeys);
  });

  it('resolves a valid access token to its user', async () => {
    await expect(sut.verify(await token())).resolves.toMatchObject({
      id: USER_ID,
      email: 'ada@example.test',
      roles: ['customer'],
      tokenId: 'token-1',
    });
  });

  it('accepts the media-type spelling of the access-token type', async () => {
    await expect(sut.verify(await token({ header: { typ: 'application/at+jwt' } }))).resolves.toBeDefined();
  });

  it.each([
    ['not a JWS', 'not-a-token'],
    ['two parts', 'abc.def'],
    ['an empty signature', 'abc.def.'],
    ['non-base64url characters', 'ab$c.def.ghi'],
  ])('rejects a token with %s without looking up a key', async (_case, value) => {
    await expect(sut.verify(value)).rejects.toMatchObject({ reason: 'malformed' });
    expect(keys.resolve).not.toHaveBeenCalled();
  });

  it('rejects a correctly signed token over 8 KiB without looking up a key', async () => {
    const large = await token({ claims: { padding: 'x'.repeat(6 * 1024) } });
    expect(large.length).toBeGreaterThan(8 * 1024);

    await expect(sut.verify(large)).rejects.toMatchObject({ reason: 'malformed' });
    expect(keys.resolve).not.toHaveBeenCalled();
  });

  it('rejects alg none even with a signature part, before looking up a key', async () => {
    const header = base64url.encode(JSON.stringify({ alg: 'none', typ: 'at+jwt', kid: published.kid }));
    const payload = (await token()).split('.')[1];

    await expect(sut.verify(`${header}.${payload}.c2ln`)).rejects.toMatchObject({
      reason: 'alg_not_allowed',
    });
    expect(keys.resolve).not.toHaveBeenCalled();
  });

  it('rejects HS256 signed with the public key as the secret', async () => {
    const secret = new TextEncoder().encode(await exportSPKI(published.publicKey));
    const forged = await new SignJWT({ sub: USER_ID })
      .setProtectedHeader({ alg: 'HS256', typ: 'at+jwt', kid: published.kid })
      .sign(secret);

    await expect(sut.verify(forged)).rejects.toMatchObject({ reason: 'alg_not_allowed' });
  });

  it.each<[string, Parameters<typeof token>[0], string]>([
    ['an unknown kid', { header: { kid: 'key-9' } }, 'unknown_key'],
    ['a published kid but another key', { header: { kid: 'key-1' }, key: 'unpublished' }, 'bad_signature'],
    ['no kid', { header: { kid: undefined } }, 'untrusted_header'],
    ['an embedded jwk', { header: { jwk: { kty: 'RSA', n: 'AQAB', e: 'AQAB' } } }, 'untrusted_header'],
    ['a jku', { header: { jku: 'https://evil.test/jwks.json' } }, 'untrusted_header'],
    ['the generic JWT type', { header: { typ: 'JWT' } }, 'wrong_type'],
    ['no type', { header: { typ: undefined } }, 'wrong_type'],
    ['another issuer', { claims: { iss: 'evil' } }, 'wrong_issuer'],
    ['another audience', { claims: { aud: 'elsewhere' } }, 'wrong_audience'],
    ['an exp in the past', { claims: { iat: now() - 120, exp: now() - 60 } }, 'expired'],
    ['an nbf in the future', { claims: { nbf: now() + 600 } }, 'not_yet_valid'],
    ['no jti', { claims: { jti: undefined } }, 'missing_claim'],
    ['no exp', { claims: { exp: undefined } }, 'missing_claim'],
    ['a bad roles claim', { claims: { roles: 'admin' } }, 'invalid_claims'],
  ])('rejects a token with %s', async (_case, options, reason) => {
    const forged = await token(options);

    await expect(sut.verify(forged)).rejects.toThrow(InvalidAccessTokenException);
    await expect(sut.verify(forged)).rejects.toMatchObject({ reason });
  });

  it('rejects a token whose payload was edited after signing', async () => {
    const [header, , signature] = (await token()).split('.');
    const payload = (await token({ claims: { roles: ['admin'] } })).split('.')[1];

    await expect(sut.verify(`${header}.${payload}.${signature}`)).rejects.toMatchObject({
      reason: 'bad_signature',
    });
  });

  it('honours the clock tolerance on exp', async () => {
    const justExpired = await token({ claims: { iat: now() - 60, exp: now() - 2 } });

    await expect(sut.verify(justExpired)).resolves.toBeDefined();
  });

  it('never repeats the token or jose wording in what the client sees', async () => {
    const expired = await token({ claims: { exp: now() - 60, iat: now() - 120 } });

    const error = await sut.verify(expired).catch((caught: unknown) => caught);

    expect(error).toBeInstanceOf(InvalidAccessTokenException);
    expect((error as InvalidAccessTokenException).getResponse()).toEqual({
      statusCode: 401,
      error: 'Unauthorized',
      message: 'Access token expired',
    });
  });

  it('lets key-source outages through as 503, not 401', async () => {
    keys.resolve.mockRejectedValue(new AccessTokenKeysUnavailableException());

    await expect(sut.verify(await token())).rejects.toThrow(ServiceUnavailableException);
  });
});
