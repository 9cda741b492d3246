import {
  createLocalJWKSet,
  decodeJwt,
  decodeProtectedHeader,
  exportSPKI,
  importJWK,
  JSONWebKeySet,
  jwtVerify,
} from 'jose';

import { TestTokenIssuer } from './test-token-issuer';

const USER_ID = '2b1f4c52-4a47-4d3f-9a53-3c1b8a6f0e11';

describe(TestTokenIssuer.name, () => {
  let sut: TestTokenIssuer;

  const fetchJwks = async (issuer = sut): Promise<JSONWebKeySet> =>
    (await (await fetch(issuer.jwksUrl)).json()) as JSONWebKeySet;
  const verifyAgainstJwks = async (token: string, issuer = sut) =>
    jwtVerify(token, createLocalJWKSet(await fetchJwks(issuer)), {
      algorithms: ['RS256'],
      issuer: 'shop-auth',
      audience: 'shop',
      typ: 'at+jwt',
    });

  // One issuer for the tests that only read; the ones that rotate or stop it start their own.
  beforeAll(async () => {
    sut = await TestTokenIssuer.start({ issuer: 'shop-auth', audience: 'shop' });
  });

  afterAll(async () => {
    await sut.stop();
  });

  it('publishes its public key, and only that, as a JWKS on loopback', async () => {
    const fetchedBefore = sut.jwksRequestCount;

    const jwks = await fetchJwks();

    expect(sut.jwksUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/\.well-known\/jwks\.json$/);
    expect(jwks.keys).toEqual([
      expect.objectContaining({ kty: 'RSA', kid: sut.kid, alg: 'RS256', use: 'sig' }),
    ]);
    expect(jwks.keys[0]).not.toHaveProperty('d');
    expect(sut.jwksRequestCount).toBe(fetchedBefore + 1);
  });

  it('answers 404 off the JWKS path', async () => {
    expect((await fetch(sut.jwksUrl.replace('jwks.json', 'other'))).status).toBe(404);
  });

  it('gives the environment a verifier needs', () => {
    expect(sut.env()).toEqual({
      AUTH_JWKS_URL: sut.jwksUrl,
      AUTH_ISSUER: 'shop-auth',
      AUTH_AUDIENCE: 'shop',
    });
  });

  it('mints RS256 at+jwt access tokens with the claims auth issues', async () => {
    const token = await sut.mint({
      sub: USER_ID,
      email: 'ada@example.test',
      roles: ['admin'],
      expiresIn: 60,
    });

    const { payload, protectedHeader } = await verifyAgainstJwks(token);

    expect(protectedHeader).toEqual({ alg: 'RS256', typ: 'at+jwt', kid: sut.kid });
    expect(payload).toMatchObject({ sub: USER_ID, email: 'ada@example.test', roles: ['admin'] });
    expect(Number(payload.exp) - Number(payload.iat)).toBe(60);
    expect(payload.jti).toEqual(expect.any(String));
  });

  it('drops a claim overridden with undefined', async () => {
    expect(decodeJwt(await sut.mint({ jti: undefined }))).not.toHaveProperty('jti');
  });

  it.each<[string, (issuer: TestTokenIssuer) => Promise<string>, RegExp]>([
    ['expired', (issuer) => issuer.mintExpired(), /"exp" claim timestamp check failed/],
    ['not yet valid', (issuer) => issuer.mintNotYetValid(), /"nbf" claim timestamp check failed/],
    ['for another issuer', (issuer) => issuer.mintWrongIssuer(), /unexpected "iss"/],
    ['for another audience', (issuer) => issuer.mintWrongAudience(), /unexpected "aud"/],
    ['of another type', (issuer) => issuer.mintWrongType(), /unexpected "typ"/],
    ['edited after signing', (issuer) => issuer.mintTampered(), /signature verification failed/],
    ['signed by an unpublished key', (issuer) => issuer.mintWith({ key: 'other' }), /no applicable key/],
    [
      'signed by another key under a published kid',
      (issuer) => issuer.mintWith({ key: 'other', header: { kid: issuer.kid } }),
      /signature verification failed/,
    ],
  ])('forges tokens %s, which a correct verifier refuses', async (_case, forge, failure) => {
    await expect(verifyAgainstJwks(await forge(sut))).rejects.toThrow(failure);
  });

  it('forges alg none tokens with an empty signature', () => {
    const token = sut.mintUnsigned();

    expect(decodeProtectedHeader(token)).toEqual({ alg: 'none', typ: 'at+jwt', kid: sut.kid });
    expect(token.endsWith('.')).toBe(true);
  });

  it('forges HS256 tokens keyed with the public key PEM, as the key-confusion attack does', async () => {
    const token = await sut.mintHs256WithPublicKey();
    const publicKey = await importJWK((await fetchJwks()).keys[0], 'RS256');
    const pem = new TextEncoder().encode(await exportSPKI(publicKey as Parameters<typeof exportSPKI>[0]));

    await expect(jwtVerify(token, pem, { algorithms: ['HS256'] })).resolves.toBeDefined();
  });

  it('forges HS256 tokens keyed with the public JWK', async () => {
    const token = await sut.mintHs256WithPublicKey({ secret: 'jwk' });
    const secret = new TextEncoder().encode(JSON.stringify((await fetchJwks()).keys[0]));

    await expect(jwtVerify(token, secret, { algorithms: ['HS256'] })).resolves.toBeDefined();
  });

  describe('when rotated or stopped', () => {
    let own: TestTokenIssuer;

    beforeEach(async () => {
      own = await TestTokenIssuer.start({ issuer: 'shop-auth', audience: 'shop' });
    });

    afterEach(async () => {
      await own.stop();
    });

    it('rotates to a new key and keeps the old one published', async () => {
      const oldToken = await own.mint();
      const oldKid = own.kid;

      const newKid = await own.rotate();

      expect(newKid).not.toBe(oldKid);
      expect(decodeProtectedHeader(await own.mint()).kid).toBe(newKid);
      expect((await fetchJwks(own)).keys.map((key) => key.kid)).toEqual([oldKid, newKid]);
      await expect(verifyAgainstJwks(oldToken, own)).resolves.toBeDefined();
    });

    it('can retire the previous keys on rotation', async () => {
      const newKid = await own.rotate({ retirePrevious: true });

      expect((await fetchJwks(own)).keys.map((key) => key.kid)).toEqual([newKid]);
    });

    it('stops serving the JWKS on stop but keeps minting', async () => {
      await fetchJwks(own);

      await own.stop();

      await expect(fetch(own.jwksUrl)).rejects.toThrow();
      await expect(own.mint()).resolves.toEqual(expect.any(String));
      await expect(own.stop()).resolves.toBeUndefined();
    });
  });
});
