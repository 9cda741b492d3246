import { loadEnv, PgEnv } from '@emporium/platform/config';
import { revertLastMigration, runMigrations, ServiceDatabase } from '@emporium/platform/database';
import { createTestDatabase, TestDatabase } from '@emporium/platform/testing';
import { Pool } from 'pg';

import { PostgresThrottlerStorage } from './postgres-throttler-storage';
import { CreateRateLimitTable1795556000000 } from './rate-limit-table.migration';

const DATABASE: ServiceDatabase = {
  schema: 'rl_store',
  entities: [],
  migrations: [CreateRateLimitTable1795556000000],
};

async function eventually(check: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

// Two storages on two pools against one database: two replicas of a service.
describe(PostgresThrottlerStorage.name, () => {
  let db: TestDatabase;
  let pools: Pool[];
  let replicaA: PostgresThrottlerStorage;
  let replicaB: PostgresThrottlerStorage;
  let keys = 0;
  const freshKey = (): string => `key-${(keys += 1)}`;

  beforeAll(async () => {
    db = await createTestDatabase('ratelimit-store');
    await runMigrations(loadEnv(PgEnv, { PG_URL: db.url }), DATABASE);
    pools = [new Pool({ connectionString: db.url, max: 5 }), new Pool({ connectionString: db.url, max: 5 })];
    replicaA = new PostgresThrottlerStorage(pools[0], { schema: DATABASE.schema, sweepIntervalMs: 0 });
    replicaB = new PostgresThrottlerStorage(pools[1], { schema: DATABASE.schema, sweepIntervalMs: 0 });
  });

  afterAll(async () => {
    await replicaA?.close();
    await replicaB?.close();
    await Promise.all((pools ?? []).map((pool) => pool.end()));
    await db?.drop();
  });

  async function rowCount(): Promise<number> {
    const { rows } = await pools[0].query<{ n: number }>(
      'SELECT count(*)::int AS n FROM rl_store.rate_limits',
    );
    return rows[0].n;
  }

  it('counts hits from both replicas against one limit, then blocks on either', async () => {
    const key = freshKey();
    const first = await replicaA.increment(key, 60_000, 3, 30_000, 'login-ip');
    expect(first).toEqual({ totalHits: 1, timeToExpire: 60, isBlocked: false, timeToBlockExpire: 0 });
    await expect(replicaB.increment(key, 60_000, 3, 30_000, 'login-ip')).resolves.toMatchObject({
      totalHits: 2,
      isBlocked: false,
    });
    await expect(replicaA.increment(key, 60_000, 3, 30_000, 'login-ip')).resolves.toMatchObject({
      totalHits: 3,
      isBlocked: false,
    });
    const fourth = await replicaB.increment(key, 60_000, 3, 30_000, 'login-ip');
    expect(fourth).toMatchObject({ totalHits: 4, isBlocked: true, timeToBlockExpire: 30 });
    // Blocked hits are refused on the other replica too, and are not counted.
    await expect(replicaA.increment(key, 60_000, 3, 30_000, 'login-ip')).resolves.toMatchObject({
      totalHits: 4,
      isBlocked: true,
    });
  });

  it('keeps policies and keys apart', async () => {
    const key = freshKey();
    await replicaA.increment(key, 60_000, 1, 60_000, 'login-ip');
    await expect(replicaA.increment(key, 60_000, 1, 60_000, 'login-ip')).resolves.toMatchObject({
      isBlocked: true,
    });
    await expect(replicaA.increment(key, 60_000, 1, 60_000, 'register-ip')).resolves.toMatchObject({
      totalHits: 1,
      isBlocked: false,
    });
    await expect(replicaB.increment(freshKey(), 60_000, 1, 60_000, 'login-ip')).resolves.toMatchObject({
      isBlocked: false,
    });
  });

  it('lets exactly `limit` of many concurrent hits through, across replicas', async () => {
    const key = freshKey();
    const hits = await Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        (i % 2 === 0 ? replicaA : replicaB).increment(key, 60_000, 15, 60_000, 'burst'),
      ),
    );
    expect(hits.filter((hit) => !hit.isBlocked)).toHaveLength(15);
    expect(hits.filter((hit) => hit.isBlocked)).toHaveLength(25);
    expect(new Set(hits.filter((hit) => !hit.isBlocked).map((hit) => hit.totalHits)).size).toBe(15);
  });

  it('opens a new window once the block is over', async () => {
    const key = freshKey();
    await replicaA.increment(key, 1_000, 1, 1_000, 'short');
    await expect(replicaB.increment(key, 1_000, 1, 1_000, 'short')).resolves.toMatchObject({
      isBlocked: true,
      timeToBlockExpire: 1,
    });
    await eventually(async () => !(await replicaA.increment(key, 1_000, 1, 1_000, 'short')).isBlocked);
    // The hit that got through opened a fresh window with one hit in it.
    await expect(replicaB.increment(key, 1_000, 5, 1_000, 'short')).resolves.toMatchObject({ totalHits: 2 });
  });

  it('blocks until the window ends when the block duration is 0', async () => {
    const key = freshKey();
    await replicaA.increment(key, 60_000, 1, 0, 'no-block');
    await expect(replicaA.increment(key, 60_000, 1, 0, 'no-block')).resolves.toMatchObject({
      isBlocked: true,
      timeToBlockExpire: 60,
    });
  });

  it('sweeps rows whose window and block are over, and only those', async () => {
    const live = freshKey();
    await replicaA.increment(live, 60_000, 5, 60_000, 'sweep');
    const expiring = freshKey();
    await replicaA.increment(expiring, 1_000, 5, 1_000, 'sweep');
    const blocked = freshKey();
    await replicaA.increment(blocked, 1_000, 1, 60_000, 'sweep');
    await replicaA.increment(blocked, 1_000, 1, 60_000, 'sweep');
    await eventually(async () => {
      const { rows } = await pools[0].query<{ expired: boolean }>(
        `SELECT window_ends_at <= now() AS expired FROM rl_store.rate_limits WHERE key = $1`,
        [expiring],
      );
      return rows[0]?.expired === true;
    });
    const before = await rowCount();
    await expect(replicaB.sweep()).resolves.toBeGreaterThanOrEqual(1);
    const { rows } = await pools[0].query<{ key: string }>(
      `SELECT key FROM rl_store.rate_limits WHERE policy = 'sweep' ORDER BY key`,
    );
    expect(rows.map((row) => row.key).sort()).toEqual([blocked, live].sort());
    expect(await rowCount()).toBeLessThan(before);
  });

  it('sweeps on its own timer when asked to', async () => {
    const sweeping = new PostgresThrottlerStorage(pools[0], {
      schema: DATABASE.schema,
      sweepIntervalMs: 200,
    });
    try {
      const key = freshKey();
      await sweeping.increment(key, 1_000, 5, 1_000, 'timer');
      await eventually(async () => {
        const { rows } = await pools[1].query('SELECT 1 FROM rl_store.rate_limits WHERE key = $1', [key]);
        return rows.length === 0;
      });
    } finally {
      await sweeping.close();
    }
  });

  it('refuses a schema name that is not a plain identifier', () => {
    expect(() => new PostgresThrottlerStorage(pools[0], { schema: 'x"; DROP TABLE y; --' })).toThrow(
      /schema/,
    );
  });

  it('creates its table in the service schema and reverts cleanly', async () => {
    const pg = loadEnv(PgEnv, { PG_URL: db.url });
    const other: ServiceDatabase = { ...DATABASE, schema: 'rl_other' };
    await expect(runMigrations(pg, other)).resolves.toMatchObject({
      applied: ['CreateRateLimitTable1795556000000'],
    });
    const tables = async (): Promise<string[]> =>
      (
        await pools[0].query<{ table_name: string }>(
          `SELECT table_name FROM information_schema.tables WHERE table_schema = 'rl_other' AND table_name <> 'migrations'`,
        )
      ).rows.map((row) => row.table_name);
    expect(await tables()).toEqual(['rate_limits']);
    await revertLastMigration(pg, other);
    expect(await tables()).toEqual([]);
  });
});
