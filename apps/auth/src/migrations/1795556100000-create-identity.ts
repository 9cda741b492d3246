import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Credentials, refresh-token families and tokens, and the locally generated signing key (docs/adr/0006).
 *
 * - `credentials`: the e-mail (stored normalised, unique: the index settles racing registrations), the
 *   argon2id PHC string and the roles. No name: profiles belong to the user service.
 * - `refresh_token_families`: one per login; revoked as a whole on logout or on a replayed token. Lives as
 *   long as its newest token (`expires_at` moves forward with each rotation).
 * - `refresh_tokens`: SHA-256 of each token (never the token), single use (`spent_at`).
 * - `local_signing_key`: at most one row, the key local runs generate when none is configured.
 */
export class CreateIdentity1795556100000 implements MigrationInterface {
  name = 'CreateIdentity1795556100000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE auth.credentials (
        id             uuid          PRIMARY KEY DEFAULT gen_random_uuid(),
        email          varchar(254)  NOT NULL,
        password_hash  text          NOT NULL,
        roles          text[]        NOT NULL DEFAULT ARRAY['customer']::text[],
        created_at     timestamptz   NOT NULL DEFAULT now(),
        updated_at     timestamptz   NOT NULL DEFAULT now(),
        CONSTRAINT credentials_email_key UNIQUE (email),
        CONSTRAINT credentials_email_normalised CHECK (email = lower(btrim(email))),
        CONSTRAINT credentials_roles_known
          CHECK (cardinality(roles) > 0 AND roles <@ ARRAY['customer', 'admin']::text[])
      )`);
    await queryRunner.query(`
      CREATE TABLE auth.refresh_token_families (
        id             uuid          PRIMARY KEY DEFAULT gen_random_uuid(),
        user_id        uuid          NOT NULL REFERENCES auth.credentials (id) ON DELETE CASCADE,
        created_at     timestamptz   NOT NULL DEFAULT now(),
        expires_at     timestamptz   NOT NULL,
        revoked_at     timestamptz,
        revoke_reason  varchar(16)   CHECK (revoke_reason IN ('logout', 'reuse')),
        CONSTRAINT refresh_token_families_revoked_with_reason
          CHECK ((revoked_at IS NULL) = (revoke_reason IS NULL))
      )`);
    await queryRunner.query(
      `CREATE INDEX refresh_token_families_user_id_idx ON auth.refresh_token_families (user_id)`,
    );
    await queryRunner.query(
      `CREATE INDEX refresh_token_families_expires_at_idx ON auth.refresh_token_families (expires_at)`,
    );
    await queryRunner.query(`
      CREATE TABLE auth.refresh_tokens (
        token_hash  bytea        PRIMARY KEY CHECK (octet_length(token_hash) = 32),
        family_id   uuid         NOT NULL REFERENCES auth.refresh_token_families (id) ON DELETE CASCADE,
        issued_at   timestamptz  NOT NULL DEFAULT now(),
        expires_at  timestamptz  NOT NULL,
        spent_at    timestamptz
      )`);
    await queryRunner.query(`CREATE INDEX refresh_tokens_family_id_idx ON auth.refresh_tokens (family_id)`);
    await queryRunner.query(`
      CREATE TABLE auth.local_signing_key (
        id               boolean      PRIMARY KEY DEFAULT true CHECK (id),
        private_key_pem  text         NOT NULL,
        created_at       timestamptz  NOT NULL DEFAULT now()
      )`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE auth.local_signing_key`);
    await queryRunner.query(`DROP TABLE auth.refresh_tokens`);
    await queryRunner.query(`DROP TABLE auth.refresh_token_families`);
    await queryRunner.query(`DROP TABLE auth.credentials`);
  }
}
