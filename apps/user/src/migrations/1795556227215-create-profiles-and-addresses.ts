import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Profiles and their addresses. A profile's id is the account id auth issued (never generated here); its
 * e-mail address is a copy of auth's, unique case-insensitively as auth's is, for look-ups by address.
 * `seq` identity columns give listings a stable keyset order (docs/adr/0004). Addresses go with their
 * profile. The schema is named `user`, a reserved word in SQL: always quote it.
 */
export class CreateProfilesAndAddresses1795556227215 implements MigrationInterface {
  name = 'CreateProfilesAndAddresses1795556227215';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE "user".profiles (
        id          uuid          PRIMARY KEY,
        seq         bigint        GENERATED ALWAYS AS IDENTITY,
        email       varchar(254)  NOT NULL,
        name        varchar(100)  NOT NULL,
        created_at  timestamptz   NOT NULL DEFAULT now(),
        updated_at  timestamptz   NOT NULL DEFAULT now(),
        CONSTRAINT profiles_seq_key UNIQUE (seq)
      )`);
    await queryRunner.query(`CREATE UNIQUE INDEX profiles_email_key ON "user".profiles (lower(email))`);
    await queryRunner.query(`
      CREATE TABLE "user".addresses (
        id           uuid          PRIMARY KEY DEFAULT gen_random_uuid(),
        seq          bigint        GENERATED ALWAYS AS IDENTITY,
        user_id      uuid          NOT NULL REFERENCES "user".profiles (id) ON DELETE CASCADE,
        line1        varchar(200)  NOT NULL,
        line2        varchar(200),
        city         varchar(100)  NOT NULL,
        postal_code  varchar(20)   NOT NULL,
        country      char(2)       NOT NULL CHECK (country ~ '^[A-Z]{2}$'),
        created_at   timestamptz   NOT NULL DEFAULT now(),
        CONSTRAINT addresses_seq_key UNIQUE (seq)
      )`);
    await queryRunner.query(`CREATE INDEX addresses_user_id_seq_idx ON "user".addresses (user_id, seq)`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE "user".addresses`);
    await queryRunner.query(`DROP TABLE "user".profiles`);
  }
}
