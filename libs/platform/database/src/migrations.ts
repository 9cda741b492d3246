import { PgEnv } from '@emporium/platform/config';
import { DataSource } from 'typeorm';

import { dataSourceOptions, ServiceDatabase } from './data-source-options';

export interface MigrationReport {
  schema: string;
  applied: string[];
}

/**
 * Applies a service's pending migrations, each in its own transaction. Creates the schema first: TypeORM
 * creates `<schema>.migrations` before the first migration runs, which fails on an empty database.
 *
 * Several pods may start at once (each runs `migrate` in an init container) and TypeORM takes no lock of
 * its own, so the whole run holds a session-level advisory lock: the others wait, then find none pending.
 */
export async function runMigrations(pg: PgEnv, database: ServiceDatabase): Promise<MigrationReport> {
  // One connection holds the lock while TypeORM runs the migrations on the other.
  const dataSource = new DataSource({ ...dataSourceOptions(pg, database), extra: { max: 2 } });
  await dataSource.initialize();
  const lock = dataSource.createQueryRunner();
  try {
    await lock.connect();
    await lock.query('SELECT pg_advisory_lock(hashtext($1))', [`emporium:migrations:${database.schema}`]);
    await dataSource.query(`CREATE SCHEMA IF NOT EXISTS "${database.schema}"`);
    const applied = await dataSource.runMigrations({ transaction: 'each' });
    return { schema: database.schema, applied: applied.map((migration) => migration.name) };
  } finally {
    await lock.release();
    await dataSource.destroy();
  }
}

/** Reverts the most recent migration of a service (the `db:revert` target). */
export async function revertLastMigration(pg: PgEnv, database: ServiceDatabase): Promise<void> {
  const dataSource = new DataSource({ ...dataSourceOptions(pg, database), extra: { max: 1 } });
  await dataSource.initialize();
  try {
    await dataSource.undoLastMigration({ transaction: 'each' });
  } finally {
    await dataSource.destroy();
  }
}
