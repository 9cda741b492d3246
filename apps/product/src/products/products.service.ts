import { ProductCreated } from '@emporium/contracts';
import { isUniqueViolation, pgPoolOf } from '@emporium/platform/database';
import { DomainError, Page, PageTokens } from '@emporium/platform/http';
import { Outbox } from '@emporium/platform/messaging';
import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { Pool } from 'pg';
import { DataSource, EntityManager } from 'typeorm';

import { ListProductsQuery } from './dto/list-products.query';
import { CreateProductDto, UpdateProductDto } from './dto/product.dto';
import { CategoryView, PRODUCT_COLUMNS, ProductRow, ProductView, toProductView } from './dto/product.view';
import { CategoryEntity, ProductEntity } from './product.entity';

/** Listing keyset: insertion order, and for searches the rank first. Values are kept as Postgres text. */
interface ListKey {
  seq: string;
  rank?: string;
}

const isListKey = (key: unknown): key is ListKey => {
  const candidate = key as ListKey | null;
  return (
    typeof candidate?.seq === 'string' &&
    /^\d{1,19}$/.test(candidate.seq) &&
    (candidate.rank === undefined ||
      (typeof candidate.rank === 'string' && /^[0-9.e+-]{1,32}$/.test(candidate.rank)))
  );
};

const isSlug = (key: unknown): key is string => typeof key === 'string' && key.length <= 50;

/** What product events carry: the catalog facts other services keep copies of. */
const snapshotOf = (
  view: Pick<ProductView, 'id' | 'sku' | 'name' | 'price' | 'category' | 'active'>,
): ProductCreated => ({
  productId: view.id,
  sku: view.sku,
  name: view.name,
  price: view.price,
  category: view.category,
  active: view.active,
});

const notFound = (id: string): DomainError =>
  new DomainError('PRODUCT_NOT_FOUND', 'not_found', `No product with id ${id}`);

@Injectable()
export class ProductsService {
  private readonly pool: Pool;

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly outbox: Outbox,
  ) {
    this.pool = pgPoolOf(dataSource);
  }

  /**
   * The hot path (every product page, every order's price lookup): one named prepared statement on the
   * pool, no ORM hydration.
   */
  async get(id: string): Promise<ProductView> {
    const result = await this.pool.query<ProductRow>({
      name: 'product-by-id',
      text: `SELECT ${PRODUCT_COLUMNS} FROM product.products WHERE id = $1`,
      values: [id],
    });
    const row = result.rows[0];
    if (!row) throw notFound(id);
    return toProductView(row);
  }

  async list(query: ListProductsQuery): Promise<Page<ProductView>> {
    const filters = { q: query.q ?? null, category: query.category ?? null };
    const after = query.pageToken ? PageTokens.decode(query.pageToken, filters, isListKey) : undefined;
    const values: unknown[] = [];
    const param = (value: unknown): string => {
      values.push(value);
      return `$${values.length}`;
    };

    const where = ['active'];
    if (query.category) where.push(`category = ${param(query.category)}`);
    let rank = 'NULL::real';
    let order = 'seq DESC';
    if (query.q) {
      const tsquery = `websearch_to_tsquery('english', ${param(query.q)})`;
      where.push(`search @@ ${tsquery}`);
      rank = `ts_rank(search, ${tsquery})`;
      order = `${rank} DESC, seq DESC`;
      if (after) {
        const r = param(after.rank ?? '0');
        where.push(`(${rank} < ${r}::real OR (${rank} = ${r}::real AND seq < ${param(after.seq)}::bigint))`);
      }
    } else if (after) {
      where.push(`seq < ${param(after.seq)}::bigint`);
    }
    const limit = param(query.pageSize + 1);
    // The keys come back as text under their own names: an output column named `seq` would make
    // `ORDER BY seq` sort the text ("9" after "10").
    const result = await this.pool.query<ProductRow & { seq_key: string; rank_key: string | null }>(
      `SELECT ${PRODUCT_COLUMNS}, seq::text AS seq_key, ${rank}::text AS rank_key
         FROM product.products
        WHERE ${where.join(' AND ')}
        ORDER BY ${order}
        LIMIT ${limit}`,
      values,
    );
    const rows = result.rows.slice(0, query.pageSize);
    const last = rows[rows.length - 1];
    const nextPageToken =
      result.rows.length > query.pageSize && last
        ? PageTokens.encode<ListKey>(
            query.q ? { seq: last.seq_key, rank: last.rank_key ?? '0' } : { seq: last.seq_key },
            filters,
          )
        : null;
    return { items: rows.map(toProductView), nextPageToken };
  }

  async create(input: CreateProductDto): Promise<ProductView> {
    try {
      return await this.dataSource.transaction(async (manager) => {
        await this.ensureCategory(manager, input.category);
        const product = manager.create(ProductEntity, {
          sku: input.sku,
          name: input.name,
          description: input.description,
          priceAmount: input.price.amount,
          priceCurrency: input.price.currency,
          category: input.category,
        });
        const saved = await manager.save(product);
        const view = await this.viewOf(manager, saved.id);
        await this.outbox.add(manager, { type: 'product.created', subject: view.id, data: snapshotOf(view) });
        return view;
      });
    } catch (error) {
      if (isUniqueViolation(error, 'products_sku_key')) {
        throw new DomainError('SKU_TAKEN', 'conflict', `A product with sku ${input.sku} already exists`);
      }
      throw error;
    }
  }

  /** Creates the product unless its sku exists; true when created. For idempotent seeding. */
  async createIfAbsent(input: CreateProductDto): Promise<boolean> {
    try {
      await this.create(input);
      return true;
    } catch (error) {
      if (error instanceof DomainError && error.code === 'SKU_TAKEN') return false;
      throw error;
    }
  }

  async update(id: string, changes: UpdateProductDto): Promise<ProductView> {
    return this.dataSource.transaction(async (manager) => {
      const product = await manager.findOne(ProductEntity, {
        where: { id },
        lock: { mode: 'pessimistic_write' },
      });
      if (!product) throw notFound(id);
      if (changes.category !== undefined) await this.ensureCategory(manager, changes.category);
      const before = JSON.stringify(
        snapshotOf({ ...product, price: { amount: product.priceAmount, currency: product.priceCurrency } }),
      );
      if (changes.name !== undefined) product.name = changes.name;
      if (changes.description !== undefined) product.description = changes.description;
      if (changes.category !== undefined) product.category = changes.category;
      if (changes.active !== undefined) product.active = changes.active;
      if (changes.price !== undefined) {
        product.priceAmount = changes.price.amount;
        product.priceCurrency = changes.price.currency;
      }
      await manager.save(product);
      const view = await this.viewOf(manager, id);
      // Consumers keep copies of the snapshot; a change to the description alone is not news to them.
      if (JSON.stringify(snapshotOf(view)) !== before)
        await this.outbox.add(manager, { type: 'product.updated', subject: id, data: snapshotOf(view) });
      return view;
    });
  }

  /** Deactivates: the product stays readable (old orders point at it) but is no longer listed or sold. */
  async deactivate(id: string): Promise<void> {
    await this.dataSource.transaction(async (manager) => {
      const rows = (await manager.query(
        `UPDATE product.products p SET active = false
           FROM (SELECT id, active AS was_active FROM product.products WHERE id = $1 FOR UPDATE) old
          WHERE p.id = old.id
          RETURNING p.sku, old.was_active`,
        [id],
      )) as [{ sku: string; was_active: boolean }[], number];
      const row = rows[0][0];
      if (!row) throw notFound(id);
      // Deactivating twice is a no-op, and publishes once.
      if (row.was_active)
        await this.outbox.add(manager, {
          type: 'product.deactivated',
          subject: id,
          data: { productId: id, sku: row.sku },
        });
    });
  }

  async categories(pageSize: number, pageToken?: string): Promise<Page<CategoryView>> {
    const after = pageToken ? PageTokens.decode(pageToken, 'categories', isSlug) : undefined;
    const result = await this.pool.query<{ slug: string; product_count: number }>(
      `SELECT c.slug, count(p.id) FILTER (WHERE p.active)::int AS product_count
         FROM product.categories c
         LEFT JOIN product.products p ON p.category = c.slug
        WHERE $1::text IS NULL OR c.slug > $1
        GROUP BY c.slug
        ORDER BY c.slug
        LIMIT $2`,
      [after ?? null, pageSize + 1],
    );
    const rows = result.rows.slice(0, pageSize);
    const last = rows[rows.length - 1];
    return {
      items: rows.map((row) => ({ slug: row.slug, productCount: row.product_count })),
      nextPageToken:
        result.rows.length > pageSize && last ? PageTokens.encode(last.slug, 'categories') : null,
    };
  }

  private async ensureCategory(manager: EntityManager, slug: string): Promise<void> {
    await manager.createQueryBuilder().insert().into(CategoryEntity).values({ slug }).orIgnore().execute();
  }

  private async viewOf(manager: EntityManager, id: string): Promise<ProductView> {
    const rows = (await manager.query(`SELECT ${PRODUCT_COLUMNS} FROM product.products WHERE id = $1`, [
      id,
    ])) as ProductRow[];
    const row = rows[0];
    if (!row) throw notFound(id);
    return toProductView(row);
  }
}
