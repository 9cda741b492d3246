import { PgEnv } from '@emporium/platform/config';
import { ReadinessRegistry } from '@emporium/platform/health';
import { DynamicModule, Module, OnModuleInit } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import type { Pool } from 'pg';
import { DataSource } from 'typeorm';
import type { PostgresDriver } from 'typeorm/driver/postgres/PostgresDriver';

import { dataSourceOptions, ServiceDatabase } from './data-source-options';

/** The pg pool behind TypeORM, for hot read paths that run one prepared statement and need nothing else. */
export function pgPoolOf(dataSource: DataSource): Pool {
  return (dataSource.driver as PostgresDriver).master as Pool;
}

/**
 * The service's TypeORM data source on its own schema, plus a `database` readiness check. Migrations are
 * never run here: `main.js migrate` does that before the service starts.
 */
@Module({})
export class DatabaseModule implements OnModuleInit {
  constructor(
    private readonly dataSource: DataSource,
    private readonly readiness: ReadinessRegistry,
  ) {}

  static forRoot(database: ServiceDatabase): DynamicModule {
    return {
      module: DatabaseModule,
      global: true,
      imports: [
        TypeOrmModule.forRootAsync({
          inject: [PgEnv],
          useFactory: (pg: PgEnv) => ({
            ...dataSourceOptions(pg, database),
            retryAttempts: 10,
            retryDelay: 2_000,
          }),
        }),
      ],
    };
  }

  onModuleInit(): void {
    const pool = pgPoolOf(this.dataSource);
    this.readiness.register('database', async () => {
      await pool.query('SELECT 1');
    });
  }
}
