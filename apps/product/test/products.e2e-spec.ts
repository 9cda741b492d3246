import { randomUUID } from 'node:crypto';

import request from 'supertest';
import { DataSource } from 'typeorm';

import { ProductPage, ProductView } from '../src/products/dto/product.view';
import { productInput } from './factories';
import { createProduct, ProductTestContext, startProductApp } from './product-app';

interface ProblemBody {
  type: string;
  title: string;
  status: number;
  detail: string;
  code: string;
  errors?: { field: string; message: string }[];
}

let ctx: ProductTestContext;
const http = () => request(ctx.testApp.server);
const admin = () => ({ Authorization: `Bearer ${ctx.adminToken}` });

beforeAll(async () => {
  ctx = await startProductApp();
});

afterAll(async () => {
  await ctx?.close();
});

async function productCount(): Promise<number> {
  const rows = (await ctx.testApp.app
    .get(DataSource)
    .query('SELECT count(*)::int AS n FROM product.products')) as { n: number }[];
  return rows[0].n;
}

function expectProblem(body: ProblemBody, status: number, code?: string): void {
  expect(body).toMatchObject({ status, type: expect.stringMatching(/^urn:emporium:problem:/) });
  expect(typeof body.title).toBe('string');
  expect(typeof body.detail).toBe('string');
  if (code) expect(body.code).toBe(code);
  expect(JSON.stringify(body)).not.toMatch(/at .+\.(js|ts):\d+|SELECT|INSERT|node_modules/);
}

describe('POST /api/v1/products', () => {
  it('creates a product for an admin: 201, Location, the stored shape', async () => {
    const input = productInput({ category: 'apparel' });
    const response = await http().post('/api/v1/products').set(admin()).send(input).expect(201);
    const body = response.body as ProductView;
    expect(body).toEqual({
      id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      sku: input.sku,
      name: input.name,
      description: input.description,
      price: input.price,
      category: 'apparel',
      active: true,
      createdAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
      updatedAt: expect.any(String),
    });
    expect(response.headers['location']).toBe(`/api/v1/products/${body.id}`);
    await http().get(`/api/v1/products/${body.id}`).expect(200, body);
  });

  it('answers 401 problem without a token and 403 for a customer, creating nothing', async () => {
    const before = await productCount();
    const anonymous = await http().post('/api/v1/products').send(productInput()).expect(401);
    expectProblem(anonymous.body as ProblemBody, 401);
    expect(anonymous.headers['content-type']).toMatch(/^application\/problem\+json/);
    const customer = await http()
      .post('/api/v1/products')
      .auth(ctx.customerToken, { type: 'bearer' })
      .send(productInput())
      .expect(403);
    expectProblem(customer.body as ProblemBody, 403);
    expect(await productCount()).toBe(before);
  });

  it('answers 409 SKU_TAKEN for a duplicate sku', async () => {
    const first = await createProduct(ctx);
    const response = await http()
      .post('/api/v1/products')
      .set(admin())
      .send(productInput({ sku: first.sku }))
      .expect(409);
    expectProblem(response.body as ProblemBody, 409, 'SKU_TAKEN');
  });

  it('creates exactly one product when the same sku is posted by racing requests', async () => {
    const input = productInput();
    const responses = await Promise.all(
      Array.from({ length: 12 }, () => http().post('/api/v1/products').set(admin()).send(input)),
    );
    const statuses = responses.map((response) => response.status).sort();
    expect(statuses.filter((status) => status === 201)).toHaveLength(1);
    expect(statuses.filter((status) => status === 409)).toHaveLength(11);
  });

  const valid = productInput();
  const invalidBodies: [string, unknown, string][] = [
    ['missing sku', { ...valid, sku: undefined }, 'sku'],
    ['lowercase sku', { ...valid, sku: 'abc-1' }, 'sku'],
    ['sku with spaces', { ...valid, sku: 'A B' }, 'sku'],
    ['over-long sku', { ...valid, sku: 'A'.repeat(65) }, 'sku'],
    ['numeric sku', { ...valid, sku: 12345 }, 'sku'],
    ['missing name', { ...valid, name: undefined }, 'name'],
    ['blank name', { ...valid, name: '   ' }, 'name'],
    ['over-long name', { ...valid, name: 'n'.repeat(201) }, 'name'],
    ['name as object', { ...valid, name: { $ne: 1 } }, 'name'],
    ['over-long description', { ...valid, description: 'd'.repeat(5001) }, 'description'],
    ['missing price', { ...valid, price: undefined }, 'price'],
    ['price as number', { ...valid, price: 1999 }, 'price'],
    ['negative amount', { ...valid, price: { amount: -1, currency: 'USD' } }, 'price.amount'],
    ['fractional amount', { ...valid, price: { amount: 19.99, currency: 'USD' } }, 'price.amount'],
    ['amount as string', { ...valid, price: { amount: '1999', currency: 'USD' } }, 'price.amount'],
    ['amount out of range', { ...valid, price: { amount: 1e12, currency: 'USD' } }, 'price.amount'],
    ['unknown currency', { ...valid, price: { amount: 1, currency: 'XYZ' } }, 'price.currency'],
    ['lowercase currency', { ...valid, price: { amount: 1, currency: 'usd' } }, 'price.currency'],
    ['unknown field in price', { ...valid, price: { amount: 1, currency: 'USD', tax: 1 } }, 'price.tax'],
    ['bad category', { ...valid, category: 'Not A Slug' }, 'category'],
    ['over-long category', { ...valid, category: 'c'.repeat(51) }, 'category'],
    ['unknown top-level field', { ...valid, active: false }, 'active'],
    ['id supplied by client', { ...valid, id: randomUUID() }, 'id'],
  ];

  it.each(invalidBodies)(
    'rejects %s with a 400 naming the field, creating nothing',
    async (_, body, field) => {
      const before = await productCount();
      const response = await http()
        .post('/api/v1/products')
        .set(admin())
        .send(body as object)
        .expect(400);
      const problem = response.body as ProblemBody;
      expectProblem(problem, 400, 'VALIDATION_FAILED');
      expect(problem.errors?.map((error) => error.field)).toContain(field);
      expect(await productCount()).toBe(before);
    },
  );

  it('rejects malformed JSON with a 400 problem', async () => {
    const response = await http()
      .post('/api/v1/products')
      .set(admin())
      .set('Content-Type', 'application/json')
      .send('{"sku": "A1", "name": ')
      .expect(400);
    expectProblem(response.body as ProblemBody, 400);
  });

  it.each([
    ['an array body', '[]'],
    ['a string body', '"text"'],
    ['null', 'null'],
    ['an empty body', ''],
  ])('rejects %s with a 4xx problem', async (_, raw) => {
    const response = await http()
      .post('/api/v1/products')
      .set(admin())
      .set('Content-Type', 'application/json')
      .send(raw);
    expect(response.status).toBe(400);
    expectProblem(response.body as ProblemBody, 400);
  });

  it('rejects a non-JSON media type with 415', async () => {
    const response = await http()
      .post('/api/v1/products')
      .set(admin())
      .set('Content-Type', 'text/plain')
      .send('sku=A1')
      .expect(415);
    expectProblem(response.body as ProblemBody, 415);
  });

  it('rejects a body over the size limit with 413', async () => {
    const response = await http()
      .post('/api/v1/products')
      .set(admin())
      .send({ ...productInput(), description: 'x'.repeat(200 * 1024) })
      .expect(413);
    expectProblem(response.body as ProblemBody, 413);
  });
});

describe('GET /api/v1/products/{id}', () => {
  it('returns 404 PRODUCT_NOT_FOUND for an unknown id', async () => {
    const response = await http().get(`/api/v1/products/${randomUUID()}`).expect(404);
    expectProblem(response.body as ProblemBody, 404, 'PRODUCT_NOT_FOUND');
  });

  it.each(['not-a-uuid', '1', "1' OR '1'='1", '%E0%A4%A', 'a'.repeat(300)])(
    'answers 4xx, never 5xx, for the malformed id %p',
    async (id) => {
      const response = await http().get(`/api/v1/products/${id}`);
      expect(response.status).toBeGreaterThanOrEqual(400);
      expect(response.status).toBeLessThan(500);
      expectProblem(response.body as ProblemBody, response.status);
    },
  );

  it('echoes X-Request-Id', async () => {
    const response = await http().get(`/api/v1/products/${randomUUID()}`).set('X-Request-Id', 'req-e2e-1');
    expect(response.headers['x-request-id']).toBe('req-e2e-1');
  });
});

describe('PATCH /api/v1/products/{id}', () => {
  it('changes the given fields only', async () => {
    const product = await createProduct(ctx);
    const response = await http()
      .patch(`/api/v1/products/${product.id}`)
      .set(admin())
      .send({ name: 'Renamed', price: { amount: 2500, currency: 'EUR' } })
      .expect(200);
    expect(response.body).toMatchObject({
      id: product.id,
      sku: product.sku,
      name: 'Renamed',
      description: product.description,
      price: { amount: 2500, currency: 'EUR' },
    });
  });

  it('refuses to change the sku and fields the client does not own', async () => {
    const product = await createProduct(ctx);
    for (const body of [{ sku: 'OTHER-1' }, { id: randomUUID() }, { createdAt: '2020-01-01T00:00:00Z' }]) {
      const response = await http()
        .patch(`/api/v1/products/${product.id}`)
        .set(admin())
        .send(body)
        .expect(400);
      expectProblem(response.body as ProblemBody, 400, 'VALIDATION_FAILED');
    }
    await http().get(`/api/v1/products/${product.id}`).expect(200, product);
  });

  it('answers 404 for an unknown product and 403 for a customer', async () => {
    await http().patch(`/api/v1/products/${randomUUID()}`).set(admin()).send({ name: 'x' }).expect(404);
    const product = await createProduct(ctx);
    await http()
      .patch(`/api/v1/products/${product.id}`)
      .auth(ctx.customerToken, { type: 'bearer' })
      .send({ name: 'x' })
      .expect(403);
  });
});

describe('DELETE /api/v1/products/{id}', () => {
  it('deactivates: 204, still readable with active=false, no longer listed, idempotent', async () => {
    const category = `gone-${Date.now()}`;
    const product = await createProduct(ctx, { category });
    await http().delete(`/api/v1/products/${product.id}`).set(admin()).expect(204);
    await http().delete(`/api/v1/products/${product.id}`).set(admin()).expect(204);
    const read = await http().get(`/api/v1/products/${product.id}`).expect(200);
    expect((read.body as ProductView).active).toBe(false);
    const list = await http().get('/api/v1/products').query({ category }).expect(200);
    expect((list.body as ProductPage).items).toEqual([]);
  });

  it('answers 404 for an unknown product and 401 without a token', async () => {
    await http().delete(`/api/v1/products/${randomUUID()}`).set(admin()).expect(404);
    await http().delete(`/api/v1/products/${randomUUID()}`).expect(401);
  });
});

describe('GET /api/v1/products', () => {
  async function collectAll(query: Record<string, string | number>): Promise<ProductView[]> {
    const seen: ProductView[] = [];
    let pageToken: string | undefined;
    for (let page = 0; page < 50; page += 1) {
      const response = await http()
        .get('/api/v1/products')
        .query({ ...query, ...(pageToken ? { pageToken } : {}) })
        .expect(200);
      const body = response.body as ProductPage;
      seen.push(...body.items);
      if (!body.nextPageToken) return seen;
      pageToken = body.nextPageToken;
    }
    throw new Error('pagination did not end');
  }

  it('pages through a category without duplicates or gaps, newest first', async () => {
    const category = `paging-${Date.now()}`;
    const created: ProductView[] = [];
    for (let i = 0; i < 23; i += 1) created.push(await createProduct(ctx, { category }));
    const seen = await collectAll({ category, pageSize: 10 });
    expect(seen.map((p) => p.id)).toEqual(created.map((p) => p.id).reverse());
  });

  it('stays correct while rows are inserted between pages', async () => {
    const category = `inserting-${Date.now()}`;
    const existing: ProductView[] = [];
    for (let i = 0; i < 12; i += 1) existing.push(await createProduct(ctx, { category }));
    const first = (await http().get('/api/v1/products').query({ category, pageSize: 5 }).expect(200))
      .body as ProductPage;
    for (let i = 0; i < 4; i += 1) await createProduct(ctx, { category });
    const rest: ProductView[] = [];
    let pageToken = first.nextPageToken;
    while (pageToken) {
      const page = (
        await http().get('/api/v1/products').query({ category, pageSize: 5, pageToken }).expect(200)
      ).body as ProductPage;
      rest.push(...page.items);
      pageToken = page.nextPageToken;
    }
    const ids = [...first.items, ...rest].map((p) => p.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids).toEqual(existing.map((p) => p.id).reverse());
  });

  it('finds products by words in name or description, name matches first, across pages', async () => {
    const word = `zq${Date.now().toString(36)}`;
    const category = `search-${Date.now()}`;
    const inDescription = await createProduct(ctx, { category, description: `made with ${word} fibre` });
    const inName = await createProduct(ctx, { category, name: `The ${word} lamp` });
    await createProduct(ctx, { category, name: 'Unrelated', description: 'nothing to see' });
    const extra: ProductView[] = [];
    for (let i = 0; i < 5; i += 1)
      extra.push(await createProduct(ctx, { category, description: `${word} ${i}` }));

    const seen = await collectAll({ q: word, pageSize: 2 });
    expect(seen[0].id).toBe(inName.id);
    expect(seen.map((p) => p.id).sort()).toEqual([inName, inDescription, ...extra].map((p) => p.id).sort());
  });

  it('combines search and category and treats search syntax as plain input', async () => {
    await http().get('/api/v1/products').query({ q: "'); DROP TABLE product.products; --" }).expect(200);
    await http().get('/api/v1/products').query({ q: '!!! & | <-> :*' }).expect(200);
    expect(await productCount()).toBeGreaterThan(0);
  });

  it.each([
    [{ pageSize: 0 }, 'pageSize'],
    [{ pageSize: 101 }, 'pageSize'],
    [{ pageSize: 'ten' }, 'pageSize'],
    [{ pageSize: '1e3' }, 'pageSize'],
    [{ q: 'q'.repeat(201) }, 'q'],
    [{ category: 'Bad Slug' }, 'category'],
    [{ pageToken: 't'.repeat(600) }, 'pageToken'],
    [{ sort: 'price' }, 'sort'],
  ])('rejects the query %p with a 400 naming %s', async (query, field) => {
    const response = await http().get('/api/v1/products').query(query).expect(400);
    expect((response.body as ProblemBody).errors?.map((error) => error.field)).toContain(field);
  });

  it('rejects a forged page token, and a token reused with other filters', async () => {
    const category = `tokens-${Date.now()}`;
    for (let i = 0; i < 3; i += 1) await createProduct(ctx, { category });
    const page = (await http().get('/api/v1/products').query({ category, pageSize: 1 }).expect(200))
      .body as ProductPage;
    expect(page.nextPageToken).toEqual(expect.any(String));
    const reused = await http()
      .get('/api/v1/products')
      .query({ category: 'other', pageToken: page.nextPageToken as string })
      .expect(400);
    expectProblem(reused.body as ProblemBody, 400, 'INVALID_PAGE_TOKEN');
    for (const forged of ['garbage', Buffer.from('{"v":1,"f":"x","k":{"seq":"1"}}').toString('base64url')]) {
      const response = await http().get('/api/v1/products').query({ pageToken: forged }).expect(400);
      expectProblem(response.body as ProblemBody, 400, 'INVALID_PAGE_TOKEN');
    }
  });
});

describe('GET /api/v1/categories', () => {
  it('lists categories with their active product counts', async () => {
    const category = `counted-${Date.now()}`;
    await createProduct(ctx, { category });
    const gone = await createProduct(ctx, { category });
    await createProduct(ctx, { category });
    await http().delete(`/api/v1/products/${gone.id}`).set(admin()).expect(204);
    const response = await http().get('/api/v1/categories').query({ pageSize: 100 }).expect(200);
    const items = (response.body as { items: { slug: string; productCount: number }[] }).items;
    expect(items).toContainEqual({ slug: category, productCount: 2 });
  });
});

describe('the platform around the API', () => {
  it('answers unknown routes with a 404 problem', async () => {
    const response = await http().get('/api/v1/nothing-here').expect(404);
    expectProblem(response.body as ProblemBody, 404);
    expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
  });

  it('serves liveness, readiness, metrics and the OpenAPI document', async () => {
    await http().get('/health/live').expect(200);
    const ready = await http().get('/health/ready').expect(200);
    expect(ready.body).toMatchObject({ status: 'ok', info: { database: { status: 'up' } } });
    const metrics = await http().get('/metrics').expect(200);
    expect(metrics.text).toContain('http_requests_total');
    const openapi = await http().get('/api/docs-json').expect(200);
    const paths = Object.keys((openapi.body as { paths: Record<string, unknown> }).paths);
    expect(paths).toEqual(
      expect.arrayContaining(['/api/v1/products', '/api/v1/products/{id}', '/api/v1/categories']),
    );
    const ui = await http().get('/api/docs').expect(200);
    expect(ui.text).toContain('swagger-ui');
    await http().get('/api/docs/swagger-ui-bundle.js').expect(200);
  });

  it('sets security headers', async () => {
    const response = await http().get('/health/live');
    expect(response.headers['x-content-type-options']).toBe('nosniff');
    expect(response.headers['content-security-policy']).toContain("default-src 'self'");
  });
});
