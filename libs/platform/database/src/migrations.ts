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
 */
export async function runMigrations(pg: PgEnv, database: ServiceDatabase): Promise<MigrationReport> {
  const dataSource = new DataSource({ ...dataSourceOptions(pg, database), extra: { max: 1 } });
  await dataSource.initialize();
  try {
    await dataSource.query(`CREATE SCHEMA IF NOT EXISTS "${database.schema}"`);
    const applied = await dataSource.runMigrations({ transaction: 'each' });
    return { schema: database.schema, applied: applied.map((migration) => migration.name) };
  } finally {
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
