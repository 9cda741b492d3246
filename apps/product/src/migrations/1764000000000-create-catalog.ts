import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The catalog: categories and products. Money is integer minor units with an ISO 4217 code. `search` is a
 * generated tsvector (name weighted above description) behind a GIN index; `seq` is an identity column
 * that gives listings a stable keyset order.
 */
export class CreateCatalog1764000000000 implements MigrationInterface {
  name = 'CreateCatalog1764000000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE product.categories (
        slug        varchar(50)  PRIMARY KEY,
        created_at  timestamptz  NOT NULL DEFAULT now()
      )`);
    await queryRunner.query(`
      CREATE TABLE product.products (
        id              uuid         PRIMARY KEY DEFAULT gen_random_uuid(),
        seq             bigint       GENERATED ALWAYS AS IDENTITY,
        sku             varchar(64)  NOT NULL,
        name            varchar(200) NOT NULL,
        description     text         NOT NULL DEFAULT '',
        price_amount    integer      NOT NULL CHECK (price_amount >= 0),
        price_currency  char(3)      NOT NULL CHECK (price_currency ~ '^[A-Z]{3}$'),
        category        varchar(50)  NOT NULL REFERENCES product.categories (slug),
        active          boolean      NOT NULL DEFAULT true,
        version         integer      NOT NULL DEFAULT 1,
        created_at      timestamptz  NOT NULL DEFAULT now(),
        updated_at      timestamptz  NOT NULL DEFAULT now(),
        search          tsvector     GENERATED ALWAYS AS (
                          setweight(to_tsvector('english', name), 'A') ||
                          setweight(to_tsvector('english', description), 'B')
                        ) STORED,
        CONSTRAINT products_sku_key UNIQUE (sku),
        CONSTRAINT products_seq_key UNIQUE (seq)
      )`);
    await queryRunner.query(`CREATE INDEX products_search_idx ON product.products USING gin (search)`);
    await queryRunner.query(
      `CREATE INDEX products_active_category_seq_idx ON product.products (category, seq DESC) WHERE active`,
    );
    await queryRunner.query(
      `CREATE INDEX products_active_seq_idx ON product.products (seq DESC) WHERE active`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE product.products`);
    await queryRunner.query(`DROP TABLE product.categories`);
  }
}
