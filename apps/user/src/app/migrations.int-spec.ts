import { loadEnv, PgEnv } from '@emporium/platform/config';
import { revertLastMigration, runMigrations } from '@emporium/platform/database';
import { createTestDatabase, TestDatabase } from '@emporium/platform/testing';
import { Client } from 'pg';

import { USER_DATABASE } from './service';

// Every migration must apply on an empty database and revert cleanly: `db:revert` is the way back from a
// bad release (expand, then contract; docs/adr/0002).
describe('user migrations', () => {
  const migrationCount = Object.values(USER_DATABASE.migrations).length;
  let db: TestDatabase;
  let pg: PgEnv;

  beforeAll(async () => {
    db = await createTestDatabase('user-migrations');
    pg = loadEnv(PgEnv, { PG_URL: db.url });
  });

  afterAll(async () => {
    await db?.drop();
  });

  async function query<T extends object>(sql: string): Promise<T[]> {
    const client = new Client({ connectionString: db.url });
    await client.connect();
    try {
      return (await client.query<T>(sql, [USER_DATABASE.schema])).rows;
    } finally {
      await client.end();
    }
  }

  const schemaExists = async (): Promise<boolean> =>
    (await query('SELECT 1 FROM information_schema.schemata WHERE schema_name = $1')).length === 1;
  const tablesInSchema = async (): Promise<string[]> =>
    (
      await query<{ table_name: string }>(
        `SELECT table_name FROM information_schema.tables
          WHERE table_schema = $1 AND table_name <> 'migrations' ORDER BY table_name`,
      )
    ).map((row) => row.table_name);

  it('creates the schema and applies every migration on an empty database, then finds none pending', async () => {
    const first = await runMigrations(pg, USER_DATABASE);
    expect(first.applied).toHaveLength(migrationCount);
    expect(await schemaExists()).toBe(true);
    const second = await runMigrations(pg, USER_DATABASE);
    expect(second.applied).toEqual([]);
  });

  it('reverts every migration, leaving no table behind', async () => {
    for (let i = 0; i < migrationCount; i += 1) await revertLastMigration(pg, USER_DATABASE);
    expect(await tablesInSchema()).toEqual([]);
  });
});
