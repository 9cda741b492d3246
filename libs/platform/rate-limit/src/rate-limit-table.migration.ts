import { MigrationInterface, QueryRunner } from 'typeorm';

const IDENTIFIER = /^[a-z][a-z0-9_]{0,62}$/;

/** The schema a migration runs in: the service's own (ServiceDatabase.schema), set on its data source. */
export function rateLimitSchemaOf(queryRunner: QueryRunner): string {
  const schema = (queryRunner.connection.options as { schema?: string }).schema;
  if (!schema || !IDENTIFIER.test(schema))
    throw new Error('The rate-limit table needs the service data source to name its schema');
  return schema;
}

/**
 * The shared rate-limit store's table, in the using service's own schema: one row per (policy, key) holding
 * the current fixed window's hit count and, once the limit is passed, when the block ends. List this class
 * in the service's `ServiceDatabase.migrations` (through a file in its migrations folder that re-exports it;
 * the order relative to the service's own migrations does not matter).
 *
 * UNLOGGED: counters are worth nothing after a crash (Postgres empties an unlogged table on crash recovery,
 * which merely resets the windows) and skipping the WAL halves the cost of the one write per limited request.
 */
export class CreateRateLimitTable1795556000000 implements MigrationInterface {
  name = 'CreateRateLimitTable1795556000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const schema = rateLimitSchemaOf(queryRunner);
    await queryRunner.query(`
      CREATE UNLOGGED TABLE "${schema}".rate_limits (
        policy          text          NOT NULL,
        key             text          NOT NULL,
        hits            integer       NOT NULL CHECK (hits > 0),
        window_ends_at  timestamptz   NOT NULL,
        blocked_until   timestamptz,
        PRIMARY KEY (policy, key)
      )`);
    // The sweep deletes rows whose window (and block) are over.
    await queryRunner.query(
      `CREATE INDEX rate_limits_window_ends_at_idx ON "${schema}".rate_limits (window_ends_at)`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE "${rateLimitSchemaOf(queryRunner)}".rate_limits`);
  }
}
