import { status } from '@grpc/grpc-js';

import { expectProblem } from './expectations';
import { CallFailure } from './grpc-clients';
import { Actor, startUserApp, UserTestContext } from './user-app';

// RFC 8725 (JWT best current practice) at a service other than auth: every forged or unfit token is
// refused by the user service, over REST (401) and over gRPC (UNAUTHENTICATED), with the same verifier.

let ctx: UserTestContext;
let customer: Actor;
let admin: Actor;

beforeAll(async () => {
  ctx = await startUserApp();
  customer = await ctx.customer();
  admin = await ctx.admin();
});

afterAll(async () => {
  await ctx?.close();
});

type Forgery = [string, () => Promise<string> | string];

// Each forgery speaks for `customer` (so a verifier that let it through would answer 200 / OK), or claims
// admin where the attack is to gain a role.
const forgeries: Forgery[] = [
  ['alg none (unsigned)', () => ctx.issuer.mintUnsigned({ sub: customer.id, email: customer.email })],
  [
    'HS256 signed with the public key (PEM)',
    () =>
      ctx.issuer.mintHs256WithPublicKey({
        secret: 'pem',
        claims: { sub: customer.id, email: customer.email },
      }),
  ],
  [
    'HS256 signed with the public key (JWK)',
    () =>
      ctx.issuer.mintHs256WithPublicKey({
        secret: 'jwk',
        claims: { sub: customer.id, email: customer.email },
      }),
  ],
  ['an unknown kid', () => ctx.issuer.mintWith({ key: 'other', claims: { sub: customer.id } })],
  [
    'a known kid with another key (bad signature)',
    () =>
      ctx.issuer.mintWith({ key: 'other', header: { kid: ctx.issuer.kid }, claims: { sub: customer.id } }),
  ],
  ['no kid', () => ctx.issuer.mintWith({ header: { kid: undefined }, claims: { sub: customer.id } })],
  [
    'a jku header pointing elsewhere',
    () =>
      ctx.issuer.mintWith({
        header: { jku: 'http://attacker.test/jwks.json' },
        claims: { sub: customer.id },
      }),
  ],
  ['the wrong iss', () => ctx.issuer.mint({ sub: customer.id, iss: 'emporium-auth-impostor' })],
  ['the wrong aud', () => ctx.issuer.mint({ sub: customer.id, aud: 'emporium-elsewhere' })],
  [
    'typ JWT (not an access token)',
    () => ctx.issuer.mintWith({ header: { typ: 'JWT' }, claims: { sub: customer.id } }),
  ],
  ['an expired token', () => ctx.issuer.mintExpired({ sub: customer.id })],
  ['nbf in the future', () => ctx.issuer.mintNotYetValid({ sub: customer.id })],
  [
    'iat in the future',
    () => ctx.issuer.mint({ sub: customer.id, iat: Math.floor(Date.now() / 1000) + 3600 }),
  ],
  [
    'tampered claims (promoted to admin)',
    () => ctx.issuer.mintTampered({ sub: customer.id, roles: ['admin'] }),
  ],
  ['roles as a string', () => ctx.issuer.mint({ sub: customer.id, roles: 'admin' as unknown as string[] })],
  ['a sub that is not a UUID', () => ctx.issuer.mint({ sub: "1' OR '1'='1" })],
  ['garbage', () => 'not.a.jwt'],
];

describe('the control: a genuine token', () => {
  it('is accepted over REST and gRPC', async () => {
    await ctx.http().get('/api/v1/users/me').auth(customer.token, { type: 'bearer' }).expect(200);
    await expect(
      ctx.grpc.call('GetUser', { id: customer.id }, { token: customer.token }),
    ).resolves.toMatchObject({
      id: customer.id,
    });
    await ctx.http().get('/api/v1/users').auth(admin.token, { type: 'bearer' }).expect(200);
  });
});

describe.each(forgeries)('a token with %s', (_, forge) => {
  it('is refused over REST: 401 problem with an invalid_token challenge, on customer and admin routes', async () => {
    const token = await forge();
    for (const path of ['/api/v1/users/me', '/api/v1/users', `/api/v1/users/${customer.id}`]) {
      const response = await ctx.http().get(path).auth(token, { type: 'bearer' });
      expect(response.status).toBe(401);
      expectProblem(response.body, 401);
      expect(response.headers['www-authenticate']).toBe('Bearer error="invalid_token"');
      expect(JSON.stringify(response.body)).not.toContain(token);
    }
  });

  it('is refused over gRPC: UNAUTHENTICATED, on customer and admin calls', async () => {
    const token = await forge();
    for (const [method, request] of [
      ['GetUser', { id: customer.id }],
      ['ListUsers', { pageSize: 1 }],
    ] as const) {
      const failure = (await ctx.grpc
        .call(method, request, { token })
        .catch((error: unknown) => error)) as CallFailure;
      expect(failure.code).toBe(status.UNAUTHENTICATED);
      expect(failure.details).not.toContain(token);
    }
  });
});

describe('gRPC authorization metadata', () => {
  it.each<[string, string | string[]]>([
    ['another scheme', 'Basic dXNlcjpwYXNz'],
    ['Bearer with nothing after it', 'Bearer '],
    ['the token without a scheme', 'TOKEN'],
  ])('refuses %s with UNAUTHENTICATED', async (_, authorization) => {
    const values = [authorization].flat().map((value) => value.replace('TOKEN', customer.token));
    await expect(
      ctx.grpc.call('GetUser', { id: customer.id }, { authorization: values }),
    ).rejects.toMatchObject({
      code: status.UNAUTHENTICATED,
    });
  });

  it('accepts the scheme in any case, as RFC 6750 allows', async () => {
    await expect(
      ctx.grpc.call('GetUser', { id: customer.id }, { authorization: `bEaReR ${customer.token}` }),
    ).resolves.toMatchObject({ id: customer.id });
  });

  it('says why when nothing was sent, and when the token expired', async () => {
    await expect(ctx.grpc.call('GetUser', { id: customer.id })).rejects.toMatchObject({
      code: status.UNAUTHENTICATED,
      details: 'Missing access token',
    });
    const expired = await ctx.issuer.mintExpired({ sub: customer.id });
    await expect(ctx.grpc.call('GetUser', { id: customer.id }, { token: expired })).rejects.toMatchObject({
      code: status.UNAUTHENTICATED,
      details: 'Access token expired',
    });
  });
});
