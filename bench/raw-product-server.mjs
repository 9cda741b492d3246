// The baseline for bench/product-get.mjs: `GET /api/v1/products/{id}` on bare node:http + pg, doing exactly
// the database work the Nest product service does (same pool settings, same named prepared statement, same
// SQL text, same JSON shape) and nothing else: no framework, no logging, no validation beyond the UUID check,
// no security headers, no telemetry. Whatever the Nest service costs above this is the price of its stack.
//
//   PORT=3903 PG_URL=postgres://postgres@127.0.0.1:5432/emporium node bench/raw-product-server.mjs
//
// Env: PORT (default 3903), PG_URL, PG_POOL_MAX (default 10, like PgEnv), PG_STATEMENT_TIMEOUT_MS (5000),
// PG_CONNECT_TIMEOUT_MS (3000). Answers 200 with the product, 404/400 with an RFC 9457 problem, and
// `GET /health/ready` with 200 once the pool can run `SELECT 1`. SIGTERM/SIGINT close it and exit 0.
import { createServer } from 'node:http';

import pg from 'pg';

const PREFIX = '/api/v1/products/';
// ParseUUIDPipe's default ('all' versions) pattern, so both servers accept and reject the same ids.
const UUID = /^[0-9A-F]{8}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{12}$/i;
// Byte for byte the product service's statement (PRODUCT_COLUMNS in apps/product/src/products/dto/product.view.ts).
const PRODUCT_BY_ID = `SELECT id, sku, name, description, price_amount, price_currency, category, active,
  created_at, updated_at FROM product.products WHERE id = $1`;

const intEnv = (name, fallback) => {
  const value = process.env[name];
  return value === undefined || value === '' ? fallback : Number.parseInt(value, 10);
};

// The same pool options as libs/platform/database (dataSourceOptions().extra and applicationName).
const pool = new pg.Pool({
  connectionString: process.env.PG_URL ?? 'postgres://postgres@127.0.0.1:5432/emporium',
  max: intEnv('PG_POOL_MAX', 10),
  connectionTimeoutMillis: intEnv('PG_CONNECT_TIMEOUT_MS', 3_000),
  idleTimeoutMillis: 30_000,
  statement_timeout: intEnv('PG_STATEMENT_TIMEOUT_MS', 5_000),
  idle_in_transaction_session_timeout: 60_000,
  application_name: 'product-raw',
});

const send = (res, status, contentType, body) => {
  res.writeHead(status, { 'content-type': contentType, 'content-length': Buffer.byteLength(body) });
  res.end(body);
};

const problem = (res, status, code, detail) =>
  send(
    res,
    status,
    'application/problem+json',
    JSON.stringify({
      type: `urn:emporium:problem:${code.toLowerCase().replace(/_/g, '-')}`,
      title: status === 404 ? 'Not Found' : status === 400 ? 'Bad Request' : 'Internal Server Error',
      status,
      detail,
      code,
    }),
  );

async function getProduct(res, id) {
  const result = await pool.query({ name: 'product-by-id', text: PRODUCT_BY_ID, values: [id] });
  const row = result.rows[0];
  if (!row) return problem(res, 404, 'PRODUCT_NOT_FOUND', `No product with id ${id}`);
  send(
    res,
    200,
    'application/json; charset=utf-8',
    JSON.stringify({
      id: row.id,
      sku: row.sku,
      name: row.name,
      description: row.description,
      price: { amount: row.price_amount, currency: row.price_currency },
      category: row.category,
      active: row.active,
      createdAt: row.created_at.toISOString(),
      updatedAt: row.updated_at.toISOString(),
    }),
  );
}

async function handle(req, res) {
  const url = req.url ?? '/';
  if (req.method === 'GET' && url.startsWith(PREFIX)) {
    const id = url.slice(PREFIX.length);
    if (!UUID.test(id)) return problem(res, 400, 'BAD_REQUEST', 'Validation failed (uuid is expected)');
    return getProduct(res, id);
  }
  if (req.method === 'GET' && url === '/health/ready') {
    await pool.query('SELECT 1');
    return send(res, 200, 'application/json; charset=utf-8', '{"status":"ok"}');
  }
  return problem(res, 404, 'NOT_FOUND', `Cannot ${req.method} ${url}`);
}

const server = createServer((req, res) => {
  handle(req, res).catch((error) => {
    process.stderr.write(`${JSON.stringify({ level: 'error', msg: String(error?.message ?? error) })}\n`);
    if (!res.headersSent) problem(res, 500, 'INTERNAL', 'Internal error');
    else res.destroy();
  });
});
server.keepAliveTimeout = 65_000;

let stopping = false;
const stop = () => {
  if (stopping) return;
  stopping = true;
  server.close();
  server.closeIdleConnections();
  pool
    .end()
    .catch(() => undefined)
    .finally(() => process.exit(0));
};
process.once('SIGTERM', stop);
process.once('SIGINT', stop);

const port = intEnv('PORT', 3903);
server.listen(port, '0.0.0.0', () => {
  process.stdout.write(`${JSON.stringify({ level: 'info', msg: `raw product server on port ${port}` })}\n`);
});
