import { loadEnv, PgEnv } from '@emporium/platform/config';
import { createTestDatabase, TestDatabase } from '@emporium/platform/testing';
import { Client } from 'pg';
import { MigrationInterface, QueryRunner } from 'typeorm';

import { ServiceDatabase } from './data-source-options';
import { revertLastMigration, runMigrations } from './migrations';

class CreateWidgets1700000000000 implements MigrationInterface {
  name = 'CreateWidgets1700000000000';
  async up(runner: QueryRunner): Promise<void> {
    await runner.query('CREATE TABLE widgets.widgets (id int PRIMARY KEY)');
    // Slow enough that racing runners overlap.
    await runner.query('SELECT pg_sleep(0.3)');
  }
  async down(runner: QueryRunner): Promise<void> {
    await runner.query('DROP TABLE widgets.widgets');
  }
}

class BrokenMigration1700000000001 implements MigrationInterface {
  name = 'BrokenMigration1700000000001';
  async up(runner: QueryRunner): Promise<void> {
    await runner.query('CREATE TABLE widgets.half_done (id int)');
    await runner.query('SELECT * FROM widgets.does_not_exist');
  }
  async down(): Promise<void> {
    // nothing to undo: up never commits
  }
}

const WIDGETS: ServiceDatabase = {
  schema: 'widgets',
  entities: [],
  migrations: [CreateWidgets1700000000000],
};

describe(runMigrations.name, () => {
  let db: TestDatabase;
  let pg: PgEnv;

  beforeEach(async () => {
    db = await createTestDatabase('migrations');
    pg = loadEnv(PgEnv, { PG_URL: db.url });
  });

  afterEach(async () => {
    await db.drop();
  });

  async function tables(): Promise<string[]> {
    const client = new Client({ connectionString: db.url });
    await client.connect();
    try {
      const result = await client.query<{ table_name: string }>(
        `SELECT table_name FROM information_schema.tables WHERE table_schema = 'widgets' ORDER BY 1`,
      );
      return result.rows.map((row) => row.table_name);
    } finally {
      await client.end();
    }
  }

  it('creates the schema and its own migrations table on an empty database, then finds nothing pending', async () => {
    await expect(runMigrations(pg, WIDGETS)).resolves.toEqual({
      schema: 'widgets',
      applied: ['CreateWidgets1700000000000'],
    });
    expect(await tables()).toEqual(['migrations', 'widgets']);
    await expect(runMigrations(pg, WIDGETS)).resolves.toEqual({ schema: 'widgets', applied: [] });
  });

  it('applies each migration once when several runners start together', async () => {
    const reports = await Promise.all([
      runMigrations(pg, WIDGETS),
      runMigrations(pg, WIDGETS),
      runMigrations(pg, WIDGETS),
    ]);
    expect(reports.flatMap((report) => report.applied)).toEqual(['CreateWidgets1700000000000']);
  });

  it('leaves nothing of a failing migration behind and keeps the earlier ones', async () => {
    const broken = { ...WIDGETS, migrations: [CreateWidgets1700000000000, BrokenMigration1700000000001] };
    await expect(runMigrations(pg, broken)).rejects.toThrow(/does_not_exist/);
    expect(await tables()).toEqual(['migrations', 'widgets']);
  });

  it('reverts the last migration', async () => {
    await runMigrations(pg, WIDGETS);
    await revertLastMigration(pg, WIDGETS);
    expect(await tables()).toEqual(['migrations']);
  });
});
