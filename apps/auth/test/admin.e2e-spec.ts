import { TestApp } from '@emporium/platform/test-app';
import request from 'supertest';
import { DataSource } from 'typeorm';

import { AdminBootstrap } from '../src/identity/admin-bootstrap';
import { decodeJwtPart, registration, startAuthApp, TokenPair } from './auth-app';

const ADMIN = { email: 'Root@Example.COM', password: 'admin-password-1' };

describe('admin bootstrap from AUTH_ADMIN_EMAIL / AUTH_ADMIN_PASSWORD', () => {
  let replicaA: TestApp;
  let replicaB: TestApp;
  const env = { AUTH_ADMIN_EMAIL: ADMIN.email, AUTH_ADMIN_PASSWORD: ADMIN.password };

  beforeAll(async () => {
    replicaA = await startAuthApp(env);
    replicaB = await startAuthApp({ ...env, PG_URL: replicaA.db?.url ?? '' }, false);
  });

  afterAll(async () => {
    await replicaB?.close();
    await replicaA?.close();
  });

  const admins = (): Promise<{ id: string; roles: string[] }[]> =>
    replicaA.app
      .get(DataSource)
      .query(`SELECT id, roles FROM auth.credentials WHERE email = 'root@example.com'`) as Promise<
      { id: string; roles: string[] }[]
    >;

  it('creates the admin once, whatever the number of replicas starting, and it can log in as admin', async () => {
    expect(await admins()).toEqual([{ id: expect.any(String), roles: ['customer', 'admin'] }]);
    const response = await request(replicaB.server)
      .post('/api/v1/auth/login')
      .send({ email: 'root@example.com', password: ADMIN.password })
      .expect(200);
    const claims = decodeJwtPart<{ roles: string[] }>((response.body as TokenPair).accessToken, 1);
    expect(claims.roles).toEqual(['customer', 'admin']);
  });

  it('settles replicas racing to create it: one creates, the others find it', async () => {
    await replicaA.app.get(DataSource).query(`DELETE FROM auth.credentials WHERE email = 'root@example.com'`);
    const created = await Promise.all([
      replicaA.app.get(AdminBootstrap).ensureAdmin(),
      replicaB.app.get(AdminBootstrap).ensureAdmin(),
      replicaA.app.get(AdminBootstrap).ensureAdmin(),
    ]);
    expect(created.filter((id) => id !== undefined)).toHaveLength(1);
    expect(await admins()).toHaveLength(1);
  });

  it('never promotes an account that registered the address first', async () => {
    const squatter = registration({ email: 'early@example.com' });
    await request(replicaA.server).post('/api/v1/auth/register').send(squatter).expect(201);
    const late = await startAuthApp(
      {
        AUTH_ADMIN_EMAIL: squatter.email,
        AUTH_ADMIN_PASSWORD: 'another-password',
        PG_URL: replicaA.db?.url ?? '',
      },
      false,
    );
    try {
      const rows = (await late.app
        .get(DataSource)
        .query('SELECT roles FROM auth.credentials WHERE email = $1', [squatter.email])) as {
        roles: string[];
      }[];
      expect(rows).toEqual([{ roles: ['customer'] }]);
      // The configured admin password does not open the existing account either.
      await request(late.server)
        .post('/api/v1/auth/login')
        .send({ email: squatter.email, password: 'another-password' })
        .expect(401);
    } finally {
      await late.close();
    }
  });

  it('creates nothing when only one of the two variables is set', async () => {
    const half = await startAuthApp(
      { AUTH_ADMIN_EMAIL: 'half@example.com', PG_URL: replicaA.db?.url ?? '' },
      false,
    );
    try {
      await expect(half.app.get(AdminBootstrap).ensureAdmin()).resolves.toBeUndefined();
      const rows = (await half.app
        .get(DataSource)
        .query(`SELECT 1 FROM auth.credentials WHERE email = 'half@example.com'`)) as unknown[];
      expect(rows).toEqual([]);
    } finally {
      await half.close();
    }
  });
});
