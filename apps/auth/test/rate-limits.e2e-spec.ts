import { TestApp } from '@emporium/platform/test-app';
import request from 'supertest';

import { GENEROUS_RATE_LIMITS, ProblemBody, registration, startAuthApp } from './auth-app';

// Two replicas on one database, with small limits: a brute force spread over replicas still hits them.
let replicaA: TestApp;
let replicaB: TestApp;
const limits = {
  ...GENEROUS_RATE_LIMITS,
  // Behind one proxy (as in Kubernetes), whose X-Forwarded-For the tests write to play several clients.
  HTTP_TRUSTED_PROXY_HOPS: '1',
  AUTH_RATE_LIMIT_LOGIN_ACCOUNT: '5/15m',
  AUTH_RATE_LIMIT_LOGIN_IP: '8/1m',
  AUTH_RATE_LIMIT_REGISTER_IP: '3/1h',
  AUTH_RATE_LIMIT_REFRESH_IP: '4/1m',
};

beforeAll(async () => {
  replicaA = await startAuthApp(limits);
  replicaB = await startAuthApp({ ...limits, PG_URL: replicaA.db?.url ?? '' }, false);
});

afterAll(async () => {
  await replicaB?.close();
  await replicaA?.close();
});

/** Requests from distinct client addresses (the one trusted proxy hop puts them in X-Forwarded-For). */
const from = (app: TestApp, ip: string) => ({
  post: (path: string, body: object) =>
    request(app.server).post(`/api/v1/auth/${path}`).set('X-Forwarded-For', ip).send(body),
});

function expectTooManyRequests(response: request.Response): void {
  expect(response.status).toBe(429);
  expect(Number(response.headers['retry-after'])).toBeGreaterThan(0);
  expect(response.body as ProblemBody).toMatchObject({ status: 429, code: 'TOO_MANY_REQUESTS' });
}

describe('login rate limits', () => {
  it('stops a brute force on one account from many addresses with 429 and Retry-After, on every replica', async () => {
    const account = registration();
    await from(replicaA, '198.51.100.200').post('register', account).expect(201);
    for (let attempt = 0; attempt < 5; attempt += 1) {
      const replica = attempt % 2 === 0 ? replicaA : replicaB;
      await from(replica, `198.51.100.${attempt + 1}`)
        .post('login', { email: account.email, password: `guess-${attempt}` })
        .expect(401);
    }
    const refused = await from(replicaB, '198.51.100.50').post('login', {
      email: account.email.toUpperCase(),
      password: 'guess-6',
    });
    expectTooManyRequests(refused);
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(14 * 60);
    // Blocked means blocked: even the right password waits until the block is over.
    expectTooManyRequests(
      await from(replicaA, '198.51.100.51').post('login', {
        email: account.email,
        password: account.password,
      }),
    );
  });

  it('stops one address trying many accounts', async () => {
    const ip = '203.0.113.77';
    for (let attempt = 0; attempt < 8; attempt += 1) {
      await from(attempt % 2 ? replicaA : replicaB, ip)
        .post('login', { email: registration().email, password: 'guess' })
        .expect(401);
    }
    expectTooManyRequests(
      await from(replicaA, ip).post('login', { email: registration().email, password: 'x' }),
    );
    // Another address is not affected.
    await from(replicaA, '203.0.113.78')
      .post('login', { email: registration().email, password: 'x' })
      .expect(401);
  });

  it('counts logins refused by each policy', async () => {
    const text = (await request(replicaB.server).get('/metrics').expect(200)).text;
    expect(text).toMatch(/^rate_limited_requests_total\{policy="login-account"\} [1-9]/m);
    expect(text).toMatch(/^auth_logins_total\{outcome="failure"\} [1-9]/m);
  });
});

describe('register and refresh rate limits', () => {
  it('limits registrations per address', async () => {
    const ip = '192.0.2.31';
    for (let i = 0; i < 3; i += 1) await from(replicaA, ip).post('register', registration()).expect(201);
    expectTooManyRequests(await from(replicaB, ip).post('register', registration()));
  });

  it('limits refreshes (and logouts) per address', async () => {
    const ip = '192.0.2.32';
    for (let i = 0; i < 4; i += 1)
      await from(replicaB, ip)
        .post('refresh', { refreshToken: `nope-${i}` })
        .expect(401);
    expectTooManyRequests(await from(replicaA, ip).post('logout', { refreshToken: 'nope' }));
  });
});

describe('without a trusted proxy (HTTP_TRUSTED_PROXY_HOPS=0, the default)', () => {
  let direct: TestApp;

  beforeAll(async () => {
    direct = await startAuthApp({ ...GENEROUS_RATE_LIMITS, AUTH_RATE_LIMIT_REGISTER_IP: '2/1h' });
  });

  afterAll(async () => {
    await direct?.close();
  });

  it('ignores X-Forwarded-For, so a client cannot escape the per-address limit by forging it', async () => {
    for (let i = 0; i < 2; i += 1)
      await from(direct, `198.51.100.${i + 1}`)
        .post('register', registration())
        .expect(201);
    expectTooManyRequests(await from(direct, '198.51.100.99').post('register', registration()));
  });
});
