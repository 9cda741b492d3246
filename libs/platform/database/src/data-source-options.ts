import { PgEnv } from '@emporium/platform/config';
import type { DataSourceOptions, EntitySchema, MixedList } from 'typeorm';

/** What a service declares about its own data: the schema it owns, its entities and its migrations. */
export interface ServiceDatabase {
  /** The Postgres schema this service owns; nothing else writes to it. */
  schema: string;
  // TypeORM's own type for entity and migration lists.
  // eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
  entities: MixedList<Function | string | EntitySchema>;
  // eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
  migrations: MixedList<Function | string>;
}

const SCHEMA_NAME = /^[a-z][a-z0-9_]{0,62}$/;

/**
 * TypeORM options for a service: its own schema and migrations table, never `synchronize`, pool limits
 * and a server-side statement timeout from PgEnv.
 */
export function dataSourceOptions(pg: PgEnv, database: ServiceDatabase): DataSourceOptions {
  if (!SCHEMA_NAME.test(database.schema)) throw new Error(`Invalid schema name "${database.schema}"`);
  return {
    type: 'postgres',
    url: pg.PG_URL,
    schema: database.schema,
    entities: database.entities,
    migrations: database.migrations,
    migrationsTableName: 'migrations',
    migrationsTransactionMode: 'each',
    synchronize: false,
    migrationsRun: false,
    logging: false,
    applicationName: database.schema,
    extra: {
      max: pg.PG_POOL_MAX,
      connectionTimeoutMillis: pg.PG_CONNECT_TIMEOUT_MS,
      idleTimeoutMillis: 30_000,
      statement_timeout: pg.PG_STATEMENT_TIMEOUT_MS,
      // A connection stuck in an open transaction is closed rather than holding locks forever.
      idle_in_transaction_session_timeout: 60_000,
    },
  };
}
