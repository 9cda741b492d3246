import { randomBytes } from 'node:crypto';

import {
  createTestDatabase,
  createTestVhost,
  freePort,
  ServiceBundle,
  ServiceProcess,
  TestDatabase,
  TestVhost,
  waitFor,
} from '@emporium/platform/testing';

// These tests run the built artefact (`nx build auth` first, which the e2e target depends on) as a
// real process, the way compose and Kubernetes run it. Every run gets this file's database and vhost.
const bundle = new ServiceBundle('auth');
const run = (args: string[], env: Record<string, string>): ServiceProcess => bundle.run(args, env);

describe('auth as a process (dist/apps/auth/main.js)', () => {
  let db: TestDatabase;
  let vhost: TestVhost;

  beforeAll(async () => {
    bundle.assertBuilt();
    [db, vhost] = await Promise.all([createTestDatabase('process'), createTestVhost('process')]);
    bundle.baseEnv['RMQ_URL'] = vhost.url;
  });

  afterAll(async () => {
    await Promise.all([db?.drop(), vhost?.drop()]);
  });

  it('`migrate` creates the schema and applies pending migrations, then finds none pending', async () => {
    const first = run(['migrate'], { PG_URL: db.url });
    expect(await first.exited).toBe(0);
    expect(first.output()).toContain('migrations applied');
    const second = run(['migrate'], { PG_URL: db.url });
    expect(await second.exited).toBe(0);
    expect(second.output()).toContain('none pending');
  });

  it('refuses to start with a bad variable and names it', async () => {
    const bad = run([], { PG_URL: db.url, PORT: 'eighty', LOG_LEVEL: 'loud' });
    expect(await bad.exited).toBe(1);
    expect(bad.output()).toMatch(/PORT/);
    expect(bad.output()).toMatch(/LOG_LEVEL/);
  });

  it('refuses to start in production without a signing key, naming the variables to set', async () => {
    const refused = run([], { PG_URL: db.url, NODE_ENV: 'production' });
    expect(await refused.exited).toBe(1);
    expect(refused.output()).toMatch(/No signing key: set AUTH_SIGNING_KEY_FILE/);
  });

  it('writes no password, hash or token to its logs, even at trace level', async () => {
    const port = await freePort();
    const adminPassword = `admin-${randomBytes(8).toString('hex')}`;
    const service = run([], {
      PG_URL: db.url,
      PORT: String(port),
      LOG_LEVEL: 'trace',
      AUTH_ADMIN_EMAIL: 'admin@example.com',
      AUTH_ADMIN_PASSWORD: adminPassword,
    });
    const base = `http://127.0.0.1:${port}/api/v1/auth`;
    await waitFor(async () => (await fetch(`http://127.0.0.1:${port}/health/ready`)).status === 200);
    const post = async (path: string, body: object, headers: Record<string, string> = {}) => {
      const response = await fetch(`${base}/${path}`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', ...headers },
        body: JSON.stringify(body),
      });
      const text = await response.text();
      return { status: response.status, body: text ? (JSON.parse(text) as Record<string, string>) : {} };
    };

    const password = `pw-${randomBytes(8).toString('hex')}`;
    const email = `logs-${randomBytes(4).toString('hex')}@example.com`;
    expect((await post('register', { email, password, name: 'Logs' })).status).toBe(201);
    expect((await post('register', { email: 'x@example.com', password: 'short-7', name: 'X' })).status).toBe(
      400,
    );
    expect(
      (await post('register', { email: 'y@example.com', password, name: 'Y', roles: ['admin'] })).status,
    ).toBe(400);
    expect((await post('login', { email, password: `${password}-wrong` })).status).toBe(401);
    expect((await post('login', { email: `nobody-${email}`, password })).status).toBe(401);
    const first = await post('login', { email, password });
    expect(first.status).toBe(200);
    const second = await post('refresh', { refreshToken: first.body['refreshToken'] });
    expect(second.status).toBe(200);
    expect((await post('refresh', { refreshToken: first.body['refreshToken'] })).status).toBe(401);
    expect((await post('logout', { refreshToken: second.body['refreshToken'] })).status).toBe(204);
    const admin = await post('login', { email: 'admin@example.com', password: adminPassword });
    expect(admin.status).toBe(200);
    await fetch(`http://127.0.0.1:${port}/api/v1/nothing`, {
      headers: { Authorization: `Bearer ${admin.body['accessToken']}` },
    });

    service.child.kill('SIGTERM');
    expect(await service.exited).toBe(0);
    const output = service.output();
    // The lines that matter were written: requests, the admin bootstrap, the replay warning.
    expect(output).toContain('request completed');
    expect(output).toContain('Created the admin account');
    expect(output).toContain('A spent refresh token was presented again');
    const secrets = [
      password,
      adminPassword,
      'short-7',
      '$argon2',
      first.body['accessToken'],
      first.body['refreshToken'],
      second.body['accessToken'],
      second.body['refreshToken'],
      admin.body['accessToken'],
      admin.body['refreshToken'],
    ];
    for (const secret of secrets) {
      expect(typeof secret).toBe('string');
      expect(output).not.toContain(secret);
    }
    // Nor the signature part alone (a token split across fields would still leak).
    expect(output).not.toContain(admin.body['accessToken'].split('.')[2]);
  });

  it('on SIGTERM turns readiness to 503, finishes in-flight work and exits 0 within 10 s', async () => {
    const port = await freePort();
    const service = run([], { PG_URL: db.url, PORT: String(port), SHUTDOWN_DRAIN_MS: '1500' });
    const base = `http://127.0.0.1:${port}`;
    await waitFor(async () => (await fetch(`${base}/health/ready`)).status === 200);

    const signalledAt = Date.now();
    service.child.kill('SIGTERM');
    await waitFor(async () => (await fetch(`${base}/health/ready`)).status === 503, 1_000);
    // Still serving during the drain window, so requests already routed here succeed.
    expect((await fetch(`${base}/health/live`)).status).toBe(200);

    expect(await service.exited).toBe(0);
    expect(Date.now() - signalledAt).toBeLessThan(10_000);
    expect(service.output()).toContain('Shutdown complete');
  });
});
