import { createTestApp, TestApp } from '@emporium/platform/test-app';
import { DataSource } from 'typeorm';

import { AppModule } from '../app/app.module';
import { AUTH_DATABASE, AUTH_SERVICE } from '../app/service';
import { RefreshTokenStore } from './refresh-token.store';

describe(RefreshTokenStore.name, () => {
  let testApp: TestApp;
  let sut: RefreshTokenStore;
  let dataSource: DataSource;
  let accounts = 0;

  beforeAll(async () => {
    testApp = await createTestApp({
      module: AppModule,
      service: AUTH_SERVICE,
      database: AUTH_DATABASE,
      broker: true,
    });
    sut = testApp.app.get(RefreshTokenStore);
    dataSource = testApp.app.get(DataSource);
  });

  afterAll(async () => {
    await testApp?.close();
  });

  async function newSession(): Promise<{ userId: string; token: string }> {
    accounts += 1;
    const [{ id }] = (await dataSource.query(
      `INSERT INTO auth.credentials (email, password_hash) VALUES ($1, 'not-a-real-hash') RETURNING id`,
      [`store-${accounts}@example.com`],
    )) as { id: string }[];
    const token = await dataSource.transaction((manager) => sut.startFamily(manager, id));
    return { userId: id, token };
  }

  it('rotates into the same family and carries the account for the access token', async () => {
    const { userId, token } = await newSession();
    const outcome = await sut.rotate(token);
    expect(outcome).toEqual({
      kind: 'rotated',
      subject: { id: userId, email: expect.stringMatching(/^store-\d+@example\.com$/), roles: ['customer'] },
      refreshToken: expect.stringMatching(/^[\w-]{43}$/),
    });
    const families = (await dataSource.query(
      'SELECT count(DISTINCT f.id)::int AS n FROM auth.refresh_token_families f WHERE f.user_id = $1',
      [userId],
    )) as { n: number }[];
    expect(families[0].n).toBe(1);
  });

  it('of two concurrent rotations of one token, rotates one and treats the other as a replay', async () => {
    const { userId, token } = await newSession();
    const outcomes = await Promise.all([sut.rotate(token), sut.rotate(token)]);
    expect(outcomes.map((outcome) => outcome.kind).sort()).toEqual(['reused', 'rotated']);
    expect(outcomes.find((outcome) => outcome.kind === 'reused')).toMatchObject({ userId });
    // The replay revoked the family, so the token the winner got is dead as well.
    const winner = outcomes.find((outcome) => outcome.kind === 'rotated');
    if (winner?.kind !== 'rotated') throw new Error('no rotation');
    await expect(sut.rotate(winner.refreshToken)).resolves.toEqual({ kind: 'invalid' });
  });

  it('refuses an expired token without revoking its family', async () => {
    const { token } = await newSession();
    const rotated = await sut.rotate(token);
    if (rotated.kind !== 'rotated') throw new Error('no rotation');
    await dataSource.query(
      `UPDATE auth.refresh_tokens SET expires_at = now() - interval '1 second' WHERE spent_at IS NULL
          AND family_id = (SELECT family_id FROM auth.refresh_tokens WHERE token_hash = sha256($1::bytea))`,
      [Buffer.from(token)],
    );
    await expect(sut.rotate(rotated.refreshToken)).resolves.toEqual({ kind: 'invalid' });
    const [family] = (await dataSource.query(
      `SELECT f.revoked_at FROM auth.refresh_token_families f
         JOIN auth.refresh_tokens t ON t.family_id = f.id WHERE t.token_hash = sha256($1::bytea)`,
      [Buffer.from(token)],
    )) as { revoked_at: Date | null }[];
    expect(family.revoked_at).toBeNull();
  });

  it('revokes on logout, once', async () => {
    const { token } = await newSession();
    await expect(sut.revokeFamilyOf(token)).resolves.toBe(true);
    await expect(sut.revokeFamilyOf(token)).resolves.toBe(false);
    await expect(sut.revokeFamilyOf('unknown')).resolves.toBe(false);
    await expect(sut.rotate(token)).resolves.toEqual({ kind: 'invalid' });
  });

  it('sweeps families whose newest token has expired, with their tokens, and keeps the rest', async () => {
    const expired = await newSession();
    const live = await newSession();
    await dataSource.query(
      `UPDATE auth.refresh_token_families SET expires_at = now() - interval '1 second' WHERE user_id = $1`,
      [expired.userId],
    );
    await expect(sut.sweepExpired()).resolves.toBeGreaterThanOrEqual(1);
    const remaining = (await dataSource.query(
      `SELECT f.user_id, count(t.token_hash)::int AS tokens FROM auth.refresh_token_families f
         LEFT JOIN auth.refresh_tokens t ON t.family_id = f.id
        WHERE f.user_id = ANY($1::uuid[]) GROUP BY f.user_id`,
      [[expired.userId, live.userId]],
    )) as { user_id: string; tokens: number }[];
    expect(remaining).toEqual([{ user_id: live.userId, tokens: 1 }]);
    const orphans = (await dataSource.query(
      `SELECT count(*)::int AS n FROM auth.refresh_tokens t
        WHERE NOT EXISTS (SELECT 1 FROM auth.refresh_token_families f WHERE f.id = t.family_id)`,
    )) as { n: number }[];
    expect(orphans[0].n).toBe(0);
  });
});
