import { DataSource, MigrationInterface, QueryRunner } from 'typeorm';

/** The schema a service's data source works in (ServiceDatabase.schema): where its outbox and inbox live. */
export function serviceSchema(dataSource: DataSource): string {
  const schema = (dataSource.options as { schema?: string }).schema;
  if (!schema || !/^[a-z][a-z0-9_]{0,62}$/.test(schema))
    throw new Error('The messaging tables need the service data source to name its schema');
  return schema;
}

/** The schema a migration runs in: the service's own. */
export function schemaOf(queryRunner: QueryRunner): string {
  return serviceSchema(queryRunner.connection);
}

/** The NOTIFY channel the outbox trigger signals on commit; per schema, so services never wake each other. */
export const outboxChannel = (schema: string): string => `${schema}_outbox`;

/**
 * The outbox and inbox of a service, in the service's own schema. List this class in the service's
 * `ServiceDatabase.migrations` (after its own first migration or before, the order does not matter).
 *
 * - `outbox`: one row per event to publish, written in the transaction that made the change. `seq` orders
 *   publication; `aggregate_id` is the envelope subject, whose order the relay keeps. A statement trigger
 *   NOTIFYs the relay when the transaction commits (Postgres delivers notifications at commit, and drops
 *   them on rollback).
 * - `inbox`: the ids of the messages each consumer has processed, written in the same transaction as the
 *   handler's effects, so a redelivered message finds its id and changes nothing.
 */
export class CreateMessagingTables1764200000000 implements MigrationInterface {
  name = 'CreateMessagingTables1764200000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const schema = schemaOf(queryRunner);
    await queryRunner.query(`
      CREATE TABLE "${schema}".outbox (
        seq           bigint       GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        id            uuid         NOT NULL,
        exchange      varchar(255) NOT NULL,
        routing_key   varchar(255) NOT NULL,
        aggregate_id  varchar(200) NOT NULL,
        envelope      jsonb        NOT NULL,
        created_at    timestamptz  NOT NULL DEFAULT clock_timestamp(),
        sent_at       timestamptz
      )`);
    await queryRunner.query(
      `CREATE INDEX outbox_unsent_idx ON "${schema}".outbox (seq) WHERE sent_at IS NULL`,
    );
    await queryRunner.query(
      `CREATE INDEX outbox_unsent_aggregate_idx ON "${schema}".outbox (aggregate_id, seq) WHERE sent_at IS NULL`,
    );
    await queryRunner.query(`
      CREATE FUNCTION "${schema}".outbox_notify() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        PERFORM pg_notify('${outboxChannel(schema)}', '');
        RETURN NULL;
      END
      $$`);
    await queryRunner.query(`
      CREATE TRIGGER outbox_notify AFTER INSERT ON "${schema}".outbox
      FOR EACH STATEMENT EXECUTE FUNCTION "${schema}".outbox_notify()`);
    await queryRunner.query(`
      CREATE TABLE "${schema}".inbox (
        consumer      varchar(255) NOT NULL,
        event_id      varchar(255) NOT NULL,
        event_type    varchar(255) NOT NULL,
        processed_at  timestamptz  NOT NULL DEFAULT now(),
        PRIMARY KEY (consumer, event_id)
      )`);
    await queryRunner.query(`CREATE INDEX inbox_processed_at_idx ON "${schema}".inbox (processed_at)`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    const schema = schemaOf(queryRunner);
    await queryRunner.query(`DROP TABLE "${schema}".inbox`);
    await queryRunner.query(`DROP TABLE "${schema}".outbox`);
    await queryRunner.query(`DROP FUNCTION "${schema}".outbox_notify()`);
  }
}
