import { TestApp } from '@emporium/platform/test-app';
import { hash } from '@node-rs/argon2';
import request from 'supertest';
import { DataSource } from 'typeorm';

import { decodeJwtPart, ProblemBody, Registration, registration, startAuthApp, TokenPair } from './auth-app';

let testApp: TestApp;
const http = () => request(testApp.server);

beforeAll(async () => {
  testApp = await startAuthApp();
});

afterAll(async () => {
  await testApp?.close();
});

async function query<T>(sql: string, values: unknown[] = []): Promise<T[]> {
  return (await testApp.app.get(DataSource).query(sql, values)) as T[];
}

async function register(input: Registration = registration()): Promise<{ userId: string } & Registration> {
  const response = await http().post('/api/v1/auth/register').send(input).expect(201);
  return { ...(response.body as { userId: string }), ...input };
}

async function login(email: string, password: string): Promise<TokenPair> {
  const response = await http().post('/api/v1/auth/login').send({ email, password }).expect(200);
  return response.body as TokenPair;
}

function expectProblem(body: ProblemBody, status: number, code?: string): void {
  expect(body).toMatchObject({ status, type: expect.stringMatching(/^urn:emporium:problem:/) });
  if (code) expect(body.code).toBe(code);
  expect(JSON.stringify(body)).not.toMatch(/at .+\.(js|ts):\d+|SELECT|INSERT|node_modules/);
}

/** The distinct fields a validation problem names (one entry per broken rule), sorted. */
const fieldsOf = (body: unknown): string[] =>
  [...new Set((body as ProblemBody).errors?.map((error) => error.field) ?? [])].sort();

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

describe('POST /api/v1/auth/register', () => {
  it('creates an account: 201 with the user id and nothing else', async () => {
    const input = registration();
    const response = await http().post('/api/v1/auth/register').send(input).expect(201);
    expect(response.body).toEqual({ userId: expect.stringMatching(UUID) });
    const [row] = await query<{ email: string; password_hash: string; roles: string[] }>(
      'SELECT email, password_hash, roles FROM auth.credentials WHERE id = $1',
      [(response.body as { userId: string }).userId],
    );
    expect(row).toEqual({
      email: input.email,
      password_hash: expect.stringMatching(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/),
      roles: ['customer'],
    });
    expect(row.password_hash).not.toContain(input.password);
  });

  it('stores the e-mail normalised and answers 409 EMAIL_TAKEN for the same address in another case', async () => {
    const input = registration();
    await register({ ...input, email: `  ${input.email.toUpperCase()} ` });
    const [row] = await query<{ email: string }>('SELECT email FROM auth.credentials WHERE email = $1', [
      input.email,
    ]);
    expect(row?.email).toBe(input.email);
    const conflict = await http()
      .post('/api/v1/auth/register')
      .send({ ...registration(), email: input.email.replace('user', 'USER') })
      .expect(409);
    expectProblem(conflict.body as ProblemBody, 409, 'EMAIL_TAKEN');
  });

  it('lets exactly one of several racing registrations of one e-mail through', async () => {
    const email = registration().email;
    const statuses = await Promise.all(
      Array.from({ length: 5 }, () =>
        http()
          .post('/api/v1/auth/register')
          .send(registration({ email }))
          .then((response) => response.status),
      ),
    );
    expect(statuses.sort()).toEqual([201, 409, 409, 409, 409]);
    const rows = await query('SELECT 1 FROM auth.credentials WHERE email = $1', [email]);
    expect(rows).toHaveLength(1);
  });

  it('refuses fields a client must not set, like roles, with 400 and creates nothing', async () => {
    const input = registration();
    for (const extra of [
      { roles: ['admin'] },
      { id: '00000000-0000-4000-8000-000000000000' },
      { passwordHash: 'x' },
    ]) {
      const response = await http()
        .post('/api/v1/auth/register')
        .send({ ...input, ...extra })
        .expect(400);
      expectProblem(response.body as ProblemBody, 400, 'VALIDATION_FAILED');
      expect(fieldsOf(response.body)).toEqual(Object.keys(extra));
    }
    expect(await query('SELECT 1 FROM auth.credentials WHERE email = $1', [input.email])).toHaveLength(0);
  });

  it('answers 400 listing each bad field, never echoing the password', async () => {
    const response = await http()
      .post('/api/v1/auth/register')
      .send({ email: 'nope', password: 'short1', name: '' })
      .expect(400);
    expect(fieldsOf(response.body)).toEqual(['email', 'name', 'password']);
    expect(response.text).not.toContain('short1');
  });

  it('answers 400 for malformed JSON and 415 for another media type', async () => {
    await http()
      .post('/api/v1/auth/register')
      .set('Content-Type', 'application/json')
      .send('{"email":')
      .expect(400);
    await http().post('/api/v1/auth/register').set('Content-Type', 'text/plain').send('hello').expect(415);
  });
});

describe('POST /api/v1/auth/login', () => {
  it('answers a token pair, not cacheable, whose access token carries what every service checks', async () => {
    const account = await register();
    const response = await http()
      .post('/api/v1/auth/login')
      .send({ email: account.email.toUpperCase(), password: account.password })
      .expect(200);
    expect(response.headers['cache-control']).toBe('no-store');
    const pair = response.body as TokenPair;
    expect(pair).toEqual({
      accessToken: expect.stringMatching(/^[\w-]+\.[\w-]+\.[\w-]+$/),
      refreshToken: expect.stringMatching(/^[\w-]{43}$/),
      tokenType: 'Bearer',
      expiresIn: 900,
    });
    expect(decodeJwtPart(pair.accessToken, 0)).toEqual({
      alg: 'RS256',
      typ: 'at+jwt',
      kid: expect.any(String),
    });
    const claims = decodeJwtPart<Record<string, unknown>>(pair.accessToken, 1);
    expect(claims).toEqual({
      iss: 'emporium-auth',
      aud: 'emporium',
      sub: account.userId,
      email: account.email,
      roles: ['customer'],
      iat: expect.any(Number),
      exp: (claims['iat'] as number) + 900,
      jti: expect.stringMatching(UUID),
    });
    expect(response.text).not.toContain(account.password);
  });

  it('answers an unknown e-mail and a wrong password with the same 401 problem', async () => {
    const account = await register();
    const wrongPassword = await http()
      .post('/api/v1/auth/login')
      .send({ email: account.email, password: `${account.password}!` })
      .expect(401);
    const unknownEmail = await http()
      .post('/api/v1/auth/login')
      .send({ email: `nobody-${account.email}`, password: account.password })
      .expect(401);
    const strip = ({ requestId: _r, instance: _i, ...rest }: ProblemBody) => rest;
    expectProblem(wrongPassword.body as ProblemBody, 401, 'UNAUTHENTICATED');
    expect(strip(unknownEmail.body as ProblemBody)).toEqual(strip(wrongPassword.body as ProblemBody));
  });

  it('upgrades a hash made with weaker parameters at the next successful login', async () => {
    const account = await register();
    const weak = await hash(account.password, {
      algorithm: 2,
      memoryCost: 8_192,
      timeCost: 1,
      parallelism: 1,
    });
    await query('UPDATE auth.credentials SET password_hash = $1 WHERE id = $2', [weak, account.userId]);
    await http()
      .post('/api/v1/auth/login')
      .send({ email: account.email, password: 'wrong password' })
      .expect(401);
    const [untouched] = await query<{ password_hash: string }>(
      'SELECT password_hash FROM auth.credentials WHERE id = $1',
      [account.userId],
    );
    expect(untouched.password_hash).toBe(weak);
    await login(account.email, account.password);
    const [upgraded] = await query<{ password_hash: string }>(
      'SELECT password_hash FROM auth.credentials WHERE id = $1',
      [account.userId],
    );
    expect(upgraded.password_hash).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
    await login(account.email, account.password);
  });

  it('answers 400 for a body that is not a login, before any password check', async () => {
    const response = await http().post('/api/v1/auth/login').send({ email: 'a@example.com' }).expect(400);
    expect(fieldsOf(response.body)).toEqual(['password']);
  });
});

describe('POST /api/v1/auth/refresh', () => {
  const refresh = (refreshToken: string) => http().post('/api/v1/auth/refresh').send({ refreshToken });

  it('rotates: a new pair for the same user, and the old refresh token is spent', async () => {
    const account = await register();
    const first = await login(account.email, account.password);
    const response = await refresh(first.refreshToken).expect(200);
    expect(response.headers['cache-control']).toBe('no-store');
    const second = response.body as TokenPair;
    expect(second.refreshToken).not.toBe(first.refreshToken);
    expect(decodeJwtPart<{ sub: string }>(second.accessToken, 1).sub).toBe(account.userId);
    const rows = await query<{ spent: boolean }>(
      `SELECT t.spent_at IS NOT NULL AS spent FROM auth.refresh_tokens t
         JOIN auth.refresh_token_families f ON f.id = t.family_id WHERE f.user_id = $1 ORDER BY t.issued_at`,
      [account.userId],
    );
    expect(rows).toEqual([{ spent: true }, { spent: false }]);
    await refresh(second.refreshToken).expect(200);
  });

  it('stores refresh tokens as SHA-256 only', async () => {
    const account = await register();
    const pair = await login(account.email, account.password);
    const stored = await query<{ token_hash: Buffer }>(
      `SELECT t.token_hash FROM auth.refresh_tokens t
         JOIN auth.refresh_token_families f ON f.id = t.family_id WHERE f.user_id = $1`,
      [account.userId],
    );
    const { createHash } = await import('node:crypto');
    expect(stored.map((row) => row.token_hash.toString('hex'))).toEqual([
      createHash('sha256').update(pair.refreshToken).digest('hex'),
    ]);
  });

  it('treats a spent token presented again as theft: 401, and the whole family is revoked', async () => {
    const account = await register();
    const stolen = await login(account.email, account.password);
    const legit = (await refresh(stolen.refreshToken)
      .expect(200)
      .then((r) => r.body)) as TokenPair;
    const otherSession = await login(account.email, account.password);

    const replay = await refresh(stolen.refreshToken).expect(401);
    expectProblem(replay.body as ProblemBody, 401, 'UNAUTHENTICATED');
    // The family's current token dies with it: whoever holds it must log in again.
    await refresh(legit.refreshToken).expect(401);
    // Another login of the same user is another family, untouched.
    await refresh(otherSession.refreshToken).expect(200);
    const [family] = await query<{ revoke_reason: string }>(
      `SELECT f.revoke_reason FROM auth.refresh_token_families f
         JOIN auth.refresh_tokens t ON t.family_id = f.id WHERE t.token_hash = sha256($1::bytea)`,
      [Buffer.from(stolen.refreshToken)],
    );
    expect(family.revoke_reason).toBe('reuse');
  });

  it('lets only one of two concurrent refreshes with the same token succeed', async () => {
    const account = await register();
    const pair = await login(account.email, account.password);
    const statuses = await Promise.all([refresh(pair.refreshToken), refresh(pair.refreshToken)]).then(
      (responses) => responses.map((response) => response.status).sort(),
    );
    expect(statuses).toEqual([200, 401]);
  });

  it('answers 401 for an unknown token and 400 for a body without one', async () => {
    await refresh('not-a-token-anyone-issued').expect(401);
    const response = await http().post('/api/v1/auth/refresh').send({ token: 'x' }).expect(400);
    expect(fieldsOf(response.body)).toEqual(['refreshToken', 'token']);
  });
});

describe('POST /api/v1/auth/logout', () => {
  it('answers 204 and revokes the session: its refresh token no longer works', async () => {
    const account = await register();
    const pair = await login(account.email, account.password);
    await http().post('/api/v1/auth/logout').send({ refreshToken: pair.refreshToken }).expect(204);
    await http().post('/api/v1/auth/refresh').send({ refreshToken: pair.refreshToken }).expect(401);
    // Twice is fine, and so is a token nobody issued: the answer says nothing about the token.
    await http().post('/api/v1/auth/logout').send({ refreshToken: pair.refreshToken }).expect(204);
    await http().post('/api/v1/auth/logout').send({ refreshToken: 'made-up' }).expect(204);
  });

  it('answers 400 for a malformed body', async () => {
    await http().post('/api/v1/auth/logout').send({ refreshToken: 12 }).expect(400);
    await http().post('/api/v1/auth/logout').send({}).expect(400);
  });
});

describe('GET /.well-known/jwks.json', () => {
  it('publishes the public key the tokens name, with no private parameter, cacheable briefly', async () => {
    const account = await register();
    const pair = await login(account.email, account.password);
    const response = await http().get('/.well-known/jwks.json').expect(200);
    expect(response.headers['cache-control']).toBe('public, max-age=300');
    const { keys } = response.body as { keys: Record<string, string>[] };
    const { kid } = decodeJwtPart<{ kid: string }>(pair.accessToken, 0);
    expect(keys).toEqual([
      { kty: 'RSA', kid, alg: 'RS256', use: 'sig', n: expect.stringMatching(/^[\w-]{342,}$/), e: 'AQAB' },
    ]);
    await http().get('/api/v1/.well-known/jwks.json').expect(404);
  });
});

describe('the OpenAPI document', () => {
  it('describes every auth route, public, with its failures', async () => {
    const openapi = await http().get('/api/docs-json').expect(200);
    const paths = (
      openapi.body as { paths: Record<string, Record<string, { responses: Record<string, unknown> }>> }
    ).paths;
    expect(Object.keys(paths)).toEqual(
      expect.arrayContaining([
        '/api/v1/auth/register',
        '/api/v1/auth/login',
        '/api/v1/auth/refresh',
        '/api/v1/auth/logout',
        '/.well-known/jwks.json',
      ]),
    );
    expect(Object.keys(paths['/api/v1/auth/login'].post.responses).sort()).toEqual([
      '200',
      '400',
      '401',
      '429',
      '503',
    ]);
    expect(Object.keys(paths['/api/v1/auth/register'].post.responses).sort()).toEqual([
      '201',
      '400',
      '409',
      '429',
      '503',
    ]);
  });
});
