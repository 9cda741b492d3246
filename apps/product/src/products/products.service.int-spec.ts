import { createTestApp, TestApp } from '@emporium/platform/test-app';
import { DataSource } from 'typeorm';

import { productInput } from '../../test/factories';
import { AppModule } from '../app/app.module';
import { PRODUCT_DATABASE, PRODUCT_SERVICE } from '../app/service';
import { CreateProductDto } from './dto/product.dto';
import { ProductView } from './dto/product.view';
import { ProductsService } from './products.service';

describe(ProductsService.name, () => {
  let testApp: TestApp;
  let sut: ProductsService;

  const create = (overrides: Partial<CreateProductDto> = {}): Promise<ProductView> =>
    sut.create(productInput({ category: 'int', ...overrides }));

  beforeAll(async () => {
    testApp = await createTestApp({
      module: AppModule,
      service: PRODUCT_SERVICE,
      database: PRODUCT_DATABASE,
      broker: true,
    });
    sut = testApp.app.get(ProductsService);
  });

  afterAll(async () => {
    await testApp?.close();
  });

  it('pages through search results whose ranks tie, by insertion order, without gaps', async () => {
    const word = 'tiedrankword';
    const created: ProductView[] = [];
    // Identical text gives identical ranks: the keyset must fall back to seq.
    for (let i = 0; i < 7; i += 1) created.push(await create({ name: `${word} lamp`, category: 'ties' }));
    const seen: string[] = [];
    let pageToken: string | undefined;
    do {
      const page = await sut.list({ q: word, pageSize: 3, pageToken });
      seen.push(...page.items.map((item) => item.id));
      pageToken = page.nextPageToken ?? undefined;
    } while (pageToken);
    expect(seen).toEqual(created.map((p) => p.id).reverse());
  });

  it('orders pages by the numeric seq across a change in digit count (9 → 10, 99 → 100)', async () => {
    // Sorting the seq as text would put 100 before 99; start the sequence just below the boundary.
    await testApp.app.get(DataSource).query('ALTER TABLE product.products ALTER COLUMN seq RESTART WITH 96');
    const created: ProductView[] = [];
    for (let i = 0; i < 8; i += 1) created.push(await create({ category: 'digits' }));
    const seen: string[] = [];
    let pageToken: string | undefined;
    do {
      const page = await sut.list({ category: 'digits', pageSize: 3, pageToken });
      seen.push(...page.items.map((item) => item.id));
      pageToken = page.nextPageToken ?? undefined;
    } while (pageToken);
    expect(seen).toEqual(created.map((p) => p.id).reverse());
  });

  it('serialises concurrent updates of one product (row lock), losing neither', async () => {
    const product = await create();
    await Promise.all([
      sut.update(product.id, { name: 'first' }),
      sut.update(product.id, { price: { amount: 999, currency: 'EUR' } }),
    ]);
    const after = await sut.get(product.id);
    expect(after.name).toBe('first');
    expect(after.price).toEqual({ amount: 999, currency: 'EUR' });
    const [row] = (await testApp.app
      .get(DataSource)
      .query('SELECT version FROM product.products WHERE id = $1', [product.id])) as { version: number }[];
    expect(row.version).toBe(3);
  });

  it('creates a category on first use and counts only active products', async () => {
    const a = await create({ category: 'fresh-cat' });
    await create({ category: 'fresh-cat' });
    await sut.deactivate(a.id);
    const page = await sut.categories(100);
    expect(page.items).toContainEqual({ slug: 'fresh-cat', productCount: 1 });
  });

  it('createIfAbsent is idempotent by sku', async () => {
    const input = {
      sku: 'IDEMPOTENT-1',
      name: 'x',
      description: '',
      price: { amount: 1, currency: 'USD' },
      category: 'c',
    };
    await expect(sut.createIfAbsent(input)).resolves.toBe(true);
    await expect(sut.createIfAbsent(input)).resolves.toBe(false);
  });

  it('rolls back the category when the product insert fails', async () => {
    const existing = await create();
    await expect(create({ sku: existing.sku, category: 'orphan-cat' })).rejects.toMatchObject({
      code: 'SKU_TAKEN',
    });
    const page = await sut.categories(100);
    expect(page.items.map((item) => item.slug)).not.toContain('orphan-cat');
  });
});
