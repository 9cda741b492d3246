// Benchmark: `GET /api/v1/products/{id}` of the Nest product service against a raw node:http + pg server
// doing the same query on the same data, and the same Nest service with telemetry off and on, side by side
// in one run. See bench/README.md for how to run it and how to read it.
//
//   node bench/product-get.mjs [--duration 10] [--warmup 3] [--connections 50] [--rounds 2]
//                              [--only raw,nest,...] [--profile] [--products 10000] [--ids 1000]
//
// Needs a built service (`npx nx build product`; bench/run.sh does it) and PostgreSQL; it creates and drops
// its own database. Exits 1 if any scenario had a connection error, timeout, non-2xx response, a wrong body
// or a crash (a broken benchmark must not print pretty numbers), 3 if only the memory limit was exceeded.
import { fork, spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import os from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isDeepStrictEqual, parseArgs } from 'node:util';

import autocannon from 'autocannon';
import pg from 'pg';

import { formatSummary, summariseProfile } from './summarise-profile.mjs';

const BENCH_DIR = dirname(fileURLToPath(import.meta.url));
const ROOT = resolve(BENCH_DIR, '..');
const RESULTS_DIR = join(BENCH_DIR, 'results');
const MIB = 1024 * 1024;
const NOISY_PCT = 15; // % of one core used by other processes above which a run is "distorted"
const CLOCK_TICKS_PER_S = 100; // USER_HZ for /proc/<pid>/stat; 100 on every Linux build that matters

// ---------------------------------------------------------------------------------------------------------
// Options

const USAGE = `usage: node bench/product-get.mjs [options]
  --duration S        measured seconds per scenario and round (default 10)
  --warmup S          unmeasured seconds of the same load first (default 3)
  --connections N     concurrent keep-alive connections (default 50)
  --rounds N          rounds; scenario order alternates between rounds, medians are reported (default 2)
  --only LIST         comma-separated scenarios by name or letter (default a-d): raw|a, nest|b,
                      nest-otel-ratio|c, nest-otel-always|d, and, to split the telemetry tax,
                      nest-metrics|e (metrics only), nest-otel-unsampled|f (tracing, always_off)
  --retry-noisy N     rerun a scenario up to N times when other processes used > 15 % of a core (default 0)
  --products N        products seeded (default 10000)
  --ids N             random ids cycled through by the load (default 1000)
  --pool-max N        PG_POOL_MAX for both servers (default 10)
  --profile           run the servers under node --cpu-prof and summarise the measured window
  --top N             rows per profile table (default 15)
  --rss-limit-mib N   memory limit to check peak RSS against (default 128, the Kubernetes limit)
  --quiet-wait S      before each scenario, wait up to S seconds for the machine to be < 15 % busy (default 0)
  --node-options S    node flags for every server (default: the image's NODE_OPTIONS from the Dockerfile,
                      "--max-old-space-size=64 --max-semi-space-size=4"; pass --node-options= for none)
  --main PATH         the built service (default dist/apps/product/main.js)
  --pg-url URL        admin connection used to create/drop the database (default postgres://postgres@127.0.0.1:5432/postgres, or BENCH_PG_URL)
  --keep-db           do not drop the benchmark database at the end`;

/** The NODE_OPTIONS the production image sets, so servers run with the heap limits they ship with. */
function imageNodeOptions() {
  const dockerfile = readFileSync(new URL('../Dockerfile', import.meta.url), 'utf8');
  return /NODE_OPTIONS="([^"]*)"/.exec(dockerfile)?.[1] ?? '';
}

function options() {
  const { values } = parseArgs({
    options: {
      duration: { type: 'string', default: '10' },
      warmup: { type: 'string', default: '3' },
      connections: { type: 'string', default: '50' },
      rounds: { type: 'string', default: '2' },
      only: { type: 'string' },
      products: { type: 'string', default: '10000' },
      ids: { type: 'string', default: '1000' },
      'pool-max': { type: 'string', default: '10' },
      profile: { type: 'boolean', default: false },
      top: { type: 'string', default: '15' },
      'rss-limit-mib': { type: 'string', default: '128' },
      'node-options': { type: 'string', default: imageNodeOptions() },
      'quiet-wait': { type: 'string', default: '0' },
      'retry-noisy': { type: 'string', default: '0' },
      main: { type: 'string', default: 'dist/apps/product/main.js' },
      'pg-url': {
        type: 'string',
        default: process.env.BENCH_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres',
      },
      'keep-db': { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    process.exit(0);
  }
  const int = (name, min) => {
    const value = Number(values[name]);
    if (!Number.isInteger(value) || value < min) {
      process.stderr.write(`--${name} must be an integer >= ${min}\n${USAGE}\n`);
      process.exit(2);
    }
    return value;
  };
  const opts = {
    duration: int('duration', 1),
    warmup: int('warmup', 0),
    connections: int('connections', 1),
    rounds: int('rounds', 1),
    products: int('products', 1),
    ids: int('ids', 1),
    poolMax: int('pool-max', 1),
    top: int('top', 1),
    rssLimitMiB: int('rss-limit-mib', 1),
    quietWait: int('quiet-wait', 0),
    retryNoisy: int('retry-noisy', 0),
    profile: values.profile,
    nodeOptions: values['node-options'].split(/\s+/).filter(Boolean),
    main: resolve(ROOT, values.main),
    adminUrl: values['pg-url'],
    keepDb: values['keep-db'],
    scenarios: SCENARIOS.filter((s) => !s.optional && !s.unsampled),
  };
  if (values.only) {
    const wanted = values.only.split(',').map((item) => item.trim());
    const unknown = wanted.filter((item) => !SCENARIOS.some((s) => s.name === item || s.letter === item));
    if (unknown.length > 0) {
      process.stderr.write(`--only: unknown scenario ${unknown.join(', ')}\n${USAGE}\n`);
      process.exit(2);
    }
    opts.scenarios = SCENARIOS.filter((s) => wanted.includes(s.name) || wanted.includes(s.letter));
  }
  return opts;
}

// ---------------------------------------------------------------------------------------------------------
// Scenarios

const SCENARIOS = [
  {
    letter: 'a',
    name: 'raw',
    title: 'raw node:http + pg',
    script: () => join(BENCH_DIR, 'raw-product-server.mjs'),
    env: {},
  },
  {
    letter: 'b',
    name: 'nest',
    title: 'Nest, metrics off, tracing off',
    env: { METRICS_ENABLED: 'false' },
  },
  {
    letter: 'c',
    name: 'nest-otel-ratio',
    title: 'Nest, metrics on, tracing parentbased_traceidratio 0.1',
    tracing: true,
    env: {
      METRICS_ENABLED: 'true',
      OTEL_TRACES_SAMPLER: 'parentbased_traceidratio',
      OTEL_TRACES_SAMPLER_ARG: '0.1',
    },
  },
  {
    letter: 'd',
    name: 'nest-otel-always',
    title: 'Nest, metrics on, tracing always_on',
    tracing: true,
    env: { METRICS_ENABLED: 'true', OTEL_TRACES_SAMPLER: 'always_on' },
  },
  // Not run by default (--only e,f): they split the telemetry tax into its parts.
  {
    letter: 'e',
    name: 'nest-metrics',
    title: 'Nest, metrics on, tracing off',
    optional: true,
    env: { METRICS_ENABLED: 'true' },
  },
  {
    letter: 'f',
    name: 'nest-otel-unsampled',
    title: 'Nest, metrics off, tracing on but sampling nothing (always_off): instrumentation cost alone',
    tracing: true,
    unsampled: true,
    env: { METRICS_ENABLED: 'false', OTEL_TRACES_SAMPLER: 'always_off' },
  },
];

// ---------------------------------------------------------------------------------------------------------
// Database

function dbUrl(adminUrl, database) {
  const url = new URL(adminUrl);
  url.pathname = `/${database}`;
  return url.toString();
}

async function withClient(url, work) {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

const CATEGORIES = ['apparel', 'books', 'electronics', 'garden', 'grocery', 'home', 'sports', 'toys'];

// One statement for all products: names from adjective + material + noun, two or three sentences of
// description, prices from 4.99 to 999.99 in three currencies, timestamps over the last year.
const SEED_PRODUCTS = `
  WITH words AS (
    SELECT ARRAY['classic','compact','deluxe','ergonomic','everyday','lightweight','modern','portable','premium',
                 'rugged','sleek','vintage','wireless','handmade','organic','smart']        AS adjectives,
           ARRAY['bamboo','canvas','ceramic','cotton','leather','linen','maple','oak','steel','wool','glass',
                 'walnut','copper','recycled']                                              AS materials,
           ARRAY['backpack','blender','bookshelf','chair','desk lamp','headphones','jacket','kettle','mug',
                 'notebook','planter','running shoes','speaker','teapot','toolkit','umbrella','watch','yoga mat'] AS nouns,
           ARRAY['Built to last for years of daily use.',
                 'Designed in small batches and checked by hand before it ships.',
                 'A favourite of customers who value quality over quantity.',
                 'Easy to clean, easy to store, and easy to love.',
                 'Comes with a two-year warranty and free returns within thirty days.',
                 'Made from responsibly sourced materials with minimal packaging.',
                 'Pairs well with the rest of the collection.',
                 'Tested in the field by people who use it every day.',
                 'Fits in any room and any bag without fuss.',
                 'The details are what set it apart: stitched seams, brushed edges, quiet hinges.']  AS sentences,
           $2::text[]                                                                        AS categories
  )
  INSERT INTO product.products (sku, name, description, price_amount, price_currency, category, created_at, updated_at)
  SELECT format('BENCH-%s', lpad(g::text, 7, '0')),
         initcap(format('%s %s %s', adjectives[1 + floor(random() * cardinality(adjectives))::int],
                                    materials[1 + floor(random() * cardinality(materials))::int],
                                    nouns[1 + floor(random() * cardinality(nouns))::int])),
         concat_ws(' ', sentences[1 + floor(random() * cardinality(sentences))::int],
                        sentences[1 + floor(random() * cardinality(sentences))::int],
                        CASE WHEN random() < 0.5 THEN sentences[1 + floor(random() * cardinality(sentences))::int] END),
         499 + floor(random() * 99500)::int,
         (ARRAY['EUR','USD','GBP'])[1 + floor(random() * 3)::int],
         categories[1 + floor(random() * cardinality(categories))::int],
         created, created + random() * interval '30 days'
    FROM words,
         (SELECT g, now() - random() * interval '365 days' AS created FROM generate_series(1, $1::int) g) s`;

const PRODUCT_BY_ID = `SELECT id, sku, name, description, price_amount, price_currency, category, active,
  created_at, updated_at FROM product.products WHERE id = $1`;

const viewOf = (row) => ({
  id: row.id,
  sku: row.sku,
  name: row.name,
  description: row.description,
  price: { amount: row.price_amount, currency: row.price_currency },
  category: row.category,
  active: row.active,
  createdAt: row.created_at.toISOString(),
  updatedAt: row.updated_at.toISOString(),
});

async function prepareDatabase(opts, database, pgUrl) {
  await withClient(opts.adminUrl, (client) => client.query(`CREATE DATABASE ${database}`));
  const migrate = spawnSync(process.execPath, [opts.main, 'migrate'], {
    cwd: ROOT,
    env: childEnv({ PG_URL: pgUrl }),
    encoding: 'utf8',
  });
  if (migrate.status !== 0)
    throw new Error(`migrate failed (exit ${migrate.status}):\n${migrate.stdout}\n${migrate.stderr}`);
  return withClient(pgUrl, async (client) => {
    await client.query('SELECT setseed(0.42)');
    await client.query('INSERT INTO product.categories (slug) SELECT unnest($1::text[])', [CATEGORIES]);
    const seeded = await client.query(SEED_PRODUCTS, [opts.products, CATEGORIES]);
    await client.query('VACUUM ANALYZE product.products');
    const { rows } = await client.query('SELECT id FROM product.products ORDER BY random() LIMIT $1', [
      opts.ids,
    ]);
    const ids = rows.map((row) => row.id);
    const expected = [];
    for (const id of ids.slice(0, 3))
      expected.push(viewOf((await client.query(PRODUCT_BY_ID, [id])).rows[0]));
    const size = await client.query(
      `SELECT avg(length(name) + length(description))::int AS text_bytes FROM product.products`,
    );
    return { seeded: seeded.rowCount, ids, expected, avgTextBytes: size.rows[0].text_bytes };
  });
}

async function dropDatabase(adminUrl, database) {
  await withClient(adminUrl, (client) => client.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`));
}

// ---------------------------------------------------------------------------------------------------------
// Processes, /proc

/** A minimal, explicit environment: nothing from the caller's shell (OTEL_*, NODE_OPTIONS) leaks in. */
function childEnv(extra) {
  const base = { NODE_ENV: 'production', LOG_LEVEL: 'warn', SHUTDOWN_DRAIN_MS: '0' };
  for (const name of ['PATH', 'HOME', 'LANG', 'TZ', 'TMPDIR']) {
    if (process.env[name] !== undefined) base[name] = process.env[name];
  }
  return { ...base, ...extra };
}

function freePort() {
  return new Promise((done, fail) => {
    const server = createServer();
    server.once('error', fail);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => done(port));
    });
  });
}

const sleep = (ms) => new Promise((done) => setTimeout(done, ms));

/** User and system CPU seconds of a process; zeros once it is gone. */
function processCpu(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return { user: Number(fields[11]) / CLOCK_TICKS_PER_S, system: Number(fields[12]) / CLOCK_TICKS_PER_S };
  } catch {
    return { user: 0, system: 0 };
  }
}

/** utime + stime of a process, in seconds; 0 once it is gone. */
function processCpuSeconds(pid) {
  const { user, system } = processCpu(pid);
  return user + system;
}

/**
 * CPU seconds, by pid, of the PostgreSQL backends serving the benchmark database (their command line names
 * it): the database work of the server under test, and nothing another process on the machine causes.
 */
function postgresCpuByPid(database) {
  const byPid = new Map();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      if (!stat.includes('(postgres)')) continue;
      if (!readFileSync(`/proc/${entry}/cmdline`, 'utf8').includes(` ${database} `)) continue;
      byPid.set(entry, processCpuSeconds(entry));
    } catch {
      // the process exited meanwhile
    }
  }
  return byPid;
}

/** CPU used between two postgresCpuByPid snapshots; backends started in between count from zero. */
function postgresCpuSince(before, after) {
  let total = 0;
  for (const [pid, seconds] of after) total += seconds - (before.get(pid) ?? 0);
  return total;
}

/** Busy, interrupt (irq + softirq: loopback networking, mostly) and total CPU seconds of the machine. */
function machineCpuSeconds() {
  const fields = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
  const total = fields.slice(0, 8).reduce((sum, value) => sum + value, 0);
  const idle = fields[3] + fields[4];
  return {
    busy: (total - idle) / CLOCK_TICKS_PER_S,
    interrupts: (fields[5] + fields[6]) / CLOCK_TICKS_PER_S,
    total: total / CLOCK_TICKS_PER_S,
  };
}

/** Waits, up to `seconds`, until the machine is less than 15 % busy over one second. */
async function waitForQuiet(seconds) {
  const deadline = Date.now() + seconds * 1000;
  let busy = await machineBusyFraction(1_000);
  if (busy < 0.15) return;
  process.stdout.write(`  waiting for the machine to be quiet (${(100 * busy).toFixed(0)} % busy)...`);
  while (busy >= 0.15 && Date.now() < deadline) busy = await machineBusyFraction(1_000);
  process.stdout.write(busy < 0.15 ? ' quiet\n' : ` still ${(100 * busy).toFixed(0)} % busy; going on\n`);
}

/** Fraction of the machine's CPU in use over `ms`, to warn when something else is running. */
async function machineBusyFraction(ms) {
  const before = machineCpuSeconds();
  await sleep(ms);
  const after = machineCpuSeconds();
  return (after.busy - before.busy) / Math.max(1e-9, after.total - before.total);
}

/** VmRSS and VmHWM (peak RSS) of a process, in bytes. */
function memoryOf(pid) {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (name) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? 0) * 1024;
    return { rss: kb('VmRSS'), hwm: kb('VmHWM') };
  } catch {
    return { rss: 0, hwm: 0 };
  }
}

const nowUs = () => Number(process.hrtime.bigint() / 1000n);

/** Everything that must be stopped and removed if the run is interrupted. */
const live = {
  children: new Set(),
  sink: undefined,
  database: undefined,
  adminUrl: undefined,
  keepDb: false,
};

class Server {
  constructor(child, name) {
    this.child = child;
    this.name = name;
    this.output = '';
    this.exit = undefined;
    this.exited = new Promise((done) => {
      child.once('exit', (code, signal) => {
        this.exit = { code, signal };
        live.children.delete(child);
        done(this.exit);
      });
    });
    const keep = (chunk) => {
      this.output = (this.output + chunk.toString()).slice(-16_384);
    };
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    live.children.add(child);
  }

  async stop() {
    if (this.exit) return this.exit;
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 15_000);
    const exit = await this.exited;
    clearTimeout(timer);
    return exit;
  }
}

function startServer(scenario, { opts, pgUrl, port, sinkPort, profileDir, round }) {
  const env = childEnv({ PORT: String(port), PG_URL: pgUrl, PG_POOL_MAX: String(opts.poolMax) });
  Object.assign(env, scenario.env);
  if (scenario.tracing) {
    env.OTEL_EXPORTER_OTLP_ENDPOINT = `http://127.0.0.1:${sinkPort}`;
    env.OTEL_EXPORTER_OTLP_PROTOCOL = 'http/json';
  }
  const nodeArgs = [...opts.nodeOptions];
  if (profileDir)
    nodeArgs.push(
      '--cpu-prof',
      `--cpu-prof-dir=${profileDir}`,
      `--cpu-prof-name=${scenario.name}-round${round}.cpuprofile`,
    );
  const script = scenario.script ? scenario.script() : opts.main;
  const child = spawn(process.execPath, [...nodeArgs, script], {
    cwd: ROOT,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return new Server(child, scenario.name);
}

async function waitReady(server, base) {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    if (server.exit) throw new Error(`${server.name} exited during start-up:\n${server.output}`);
    try {
      const response = await fetch(`${base}/health/ready`);
      await response.arrayBuffer();
      if (response.status === 200) return;
    } catch {
      // not listening yet
    }
    await sleep(100);
  }
  throw new Error(`${server.name} not ready within 30 s:\n${server.output}`);
}

/** The servers must answer the same thing, or the comparison means nothing. */
async function checkResponses(base, data) {
  const problems = [];
  for (const expected of data.expected) {
    const response = await fetch(`${base}/api/v1/products/${expected.id}`);
    const text = await response.text();
    let body;
    try {
      body = JSON.parse(text);
    } catch {
      body = text;
    }
    if (response.status !== 200) problems.push(`GET ${expected.id}: status ${response.status}`);
    else if (!isDeepStrictEqual(body, expected))
      problems.push(
        `GET ${expected.id}: body differs:\n  got      ${text}\n  expected ${JSON.stringify(expected)}`,
      );
  }
  for (const [path, status] of [
    ['/api/v1/products/00000000-0000-4000-8000-000000000000', 404],
    ['/api/v1/products/not-a-uuid', 400],
  ]) {
    const response = await fetch(`${base}${path}`);
    await response.arrayBuffer();
    if (response.status !== status)
      problems.push(`GET ${path}: status ${response.status}, expected ${status}`);
  }
  return problems;
}

// ---------------------------------------------------------------------------------------------------------
// Load

/** One autocannon run; latencies are recorded here at sub-millisecond resolution (autocannon rounds to ms). */
function load(base, ids, opts, seconds) {
  // Prebuilt requests cycling over the ids: no per-request work in the load generator beyond sending.
  const requests = ids.map((id) => ({ method: 'GET', path: `/api/v1/products/${id}` }));
  let latencies = new Float64Array(1 << 18);
  let count = 0;
  return new Promise((done, fail) => {
    const instance = autocannon(
      { url: base, connections: opts.connections, duration: seconds, pipelining: 1, timeout: 10, requests },
      (error, result) => {
        if (error) return fail(error);
        done({ result, latencies: latencies.subarray(0, count) });
      },
    );
    instance.on('response', (_client, _status, _bytes, responseTime) => {
      if (count === latencies.length) {
        const grown = new Float64Array(latencies.length * 2);
        grown.set(latencies);
        latencies = grown;
      }
      latencies[count++] = responseTime;
    });
  });
}

function percentile(sorted, p) {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

// ---------------------------------------------------------------------------------------------------------
// One scenario, one round

async function runScenario(scenario, round, ctx) {
  const { opts, data, sink } = ctx;
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const started = Date.now();
  const server = startServer(scenario, { ...ctx, port, sinkPort: sink?.port, round });
  const failures = [];
  let peakSampledRss = 0;
  const sampler = setInterval(() => {
    peakSampledRss = Math.max(peakSampledRss, memoryOf(server.child.pid).rss);
  }, 200);
  try {
    await waitReady(server, base);
    const startupMs = Date.now() - started;
    const rssAtReady = memoryOf(server.child.pid).rss;
    failures.push(...(await checkResponses(base, data)));
    const spansBefore = scenario.tracing ? (await sink.stats()).spans : 0;

    if (opts.warmup > 0) await load(base, data.ids, opts, opts.warmup);
    const rssAfterWarmup = memoryOf(server.child.pid).rss;

    const cpu0 = {
      serverSplit: processCpu(server.child.pid),
      server: processCpuSeconds(server.child.pid),
      postgres: postgresCpuByPid(ctx.database),
      loadgen: process.cpuUsage(),
      sink: sink ? processCpuSeconds(sink.pid) : 0,
      machine: machineCpuSeconds(),
    };
    const fromUs = nowUs();
    const { result, latencies } = await load(base, data.ids, opts, opts.duration);
    const toUs = nowUs();
    const cpu1 = {
      serverSplit: processCpu(server.child.pid),
      server: processCpuSeconds(server.child.pid),
      postgres: postgresCpuByPid(ctx.database),
      loadgen: process.cpuUsage(cpu0.loadgen),
      sink: sink ? processCpuSeconds(sink.pid) : 0,
      machine: machineCpuSeconds(),
    };
    const { hwm } = memoryOf(server.child.pid);
    peakSampledRss = Math.max(peakSampledRss, memoryOf(server.child.pid).rss);
    clearInterval(sampler);
    const exit = await server.stop();
    if (exit.code !== 0) failures.push(`server exited with ${exit.code ?? exit.signal} on SIGTERM`);

    const seconds = (toUs - fromUs) / 1e6;
    const sorted = Float64Array.from(latencies).sort();
    const ok = result['2xx'];
    const total = result.requests.total;
    if (result.errors > 0) failures.push(`${result.errors} connection errors`);
    if (result.timeouts > 0) failures.push(`${result.timeouts} timeouts`);
    if (result.non2xx > 0)
      failures.push(`${result.non2xx} non-2xx responses (${JSON.stringify(result.statusCodeStats)})`);
    if (ok === 0) failures.push('no successful responses');

    let spans;
    if (scenario.tracing) {
      // The server flushed its queue on SIGTERM; give the last export a moment to land.
      await sleep(300);
      spans = (await sink.stats()).spans - spansBefore;
      if (spans === 0 && !scenario.unsampled)
        failures.push('tracing on, but the OTLP sink received no spans');
    }
    // Wall-clock CPU capacity of the window (all cores), and what of it nobody here accounts for.
    const machineSeconds = cpu1.machine.total - cpu0.machine.total;
    const accounted = {
      serverSeconds: cpu1.server - cpu0.server,
      serverSystemSeconds: cpu1.serverSplit.system - cpu0.serverSplit.system,
      postgresSeconds: postgresCpuSince(cpu0.postgres, cpu1.postgres),
      loadgenSeconds: (cpu1.loadgen.user + cpu1.loadgen.system) / 1e6,
      sinkSeconds: cpu1.sink - cpu0.sink,
      interruptSeconds: cpu1.machine.interrupts - cpu0.machine.interrupts,
    };
    const busySeconds = cpu1.machine.busy - cpu0.machine.busy;
    const run = {
      scenario: scenario.name,
      round,
      startupMs,
      seconds,
      requests: total,
      ok,
      rps: ok / seconds,
      latencyMs: {
        p50: percentile(sorted, 50),
        p90: percentile(sorted, 90),
        p99: percentile(sorted, 99),
        max: sorted[sorted.length - 1],
      },
      errors: result.errors,
      timeouts: result.timeouts,
      non2xx: result.non2xx,
      statusCodeStats: result.statusCodeStats,
      memory: {
        peakRssMiB: hwm / MIB,
        peakSampledRssMiB: peakSampledRss / MIB,
        rssAtReadyMiB: rssAtReady / MIB,
        rssAfterWarmupMiB: rssAfterWarmup / MIB,
      },
      cpu: {
        ...accounted,
        // Busy CPU not used by the processes above nor by interrupts: other processes on the machine.
        otherSeconds: Math.max(
          0,
          busySeconds -
            accounted.serverSeconds -
            accounted.postgresSeconds -
            accounted.loadgenSeconds -
            accounted.sinkSeconds -
            accounted.interruptSeconds,
        ),
        machineBusyPct: machineSeconds > 0 ? (100 * busySeconds) / machineSeconds : 0,
      },
      serverCpuUsPerRequest: ok > 0 ? ((cpu1.server - cpu0.server) * 1e6) / ok : NaN,
      spans,
      window: { fromUs, toUs },
      failures,
      output: failures.length > 0 ? server.output : undefined,
    };
    run.cpu.serverPct = (100 * run.cpu.serverSeconds) / seconds;
    if (ctx.profileDir) {
      run.profile = join(ctx.profileDir, `${scenario.name}-round${round}.cpuprofile`);
    }
    return run;
  } catch (error) {
    clearInterval(sampler);
    await server.stop();
    throw error;
  }
}

// ---------------------------------------------------------------------------------------------------------
// Reporting

const median = (values) => {
  const sorted = values.filter((v) => Number.isFinite(v)).sort((a, b) => a - b);
  if (sorted.length === 0) return NaN;
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};

function summarise(scenarios, runs) {
  return scenarios.map((scenario) => {
    const mine = runs.filter((run) => run.scenario === scenario.name);
    return {
      scenario: scenario.name,
      letter: scenario.letter,
      title: scenario.title,
      rounds: mine.length,
      rps: median(mine.map((r) => r.rps)),
      rpsByRound: mine.map((r) => r.rps),
      p50: median(mine.map((r) => r.latencyMs.p50)),
      p99: median(mine.map((r) => r.latencyMs.p99)),
      errors: mine.reduce((sum, r) => sum + r.errors + r.timeouts, 0),
      non2xx: mine.reduce((sum, r) => sum + r.non2xx, 0),
      peakRssMiB: Math.max(...mine.map((r) => r.memory.peakRssMiB)),
      peakSampledRssMiB: Math.max(...mine.map((r) => r.memory.peakSampledRssMiB)),
      serverCpuUsPerRequest: median(mine.map((r) => r.serverCpuUsPerRequest)),
      serverCpuPct: median(mine.map((r) => r.cpu.serverPct)),
      serverKernelPct: median(mine.map((r) => (100 * r.cpu.serverSystemSeconds) / r.seconds)),
      postgresCpuPct: median(mine.map((r) => (100 * r.cpu.postgresSeconds) / r.seconds)),
      loadgenCpuPct: median(mine.map((r) => (100 * r.cpu.loadgenSeconds) / r.seconds)),
      sinkCpuPct: median(mine.map((r) => (100 * r.cpu.sinkSeconds) / r.seconds)),
      interruptCpuPct: median(mine.map((r) => (100 * r.cpu.interruptSeconds) / r.seconds)),
      otherCpuPct: median(mine.map((r) => (100 * r.cpu.otherSeconds) / r.seconds)),
      rssAtReadyMiB: median(mine.map((r) => r.memory.rssAtReadyMiB)),
      machineBusyPct: median(mine.map((r) => r.cpu.machineBusyPct)),
      spansPerRequest: scenario.tracing ? median(mine.map((r) => r.spans / r.requests)) : undefined,
      startupMs: median(mine.map((r) => r.startupMs)),
    };
  });
}

function table(headers, rows) {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((row) => String(row[i]).length)));
  const line = (cells) =>
    cells
      .map((cell, i) => (i === 0 ? String(cell).padEnd(widths[i]) : String(cell).padStart(widths[i])))
      .join('  ');
  return [line(headers), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

const fixed = (value, digits = 0) => (Number.isFinite(value) ? value.toFixed(digits) : '-');
const pct = (value) =>
  Number.isFinite(value) ? `${value >= 0 ? '+' : ''}${(100 * value).toFixed(1)} %` : '-';

function report(summary, opts) {
  const raw = summary.find((s) => s.scenario === 'raw');
  const nest = summary.find((s) => s.scenario === 'nest');
  const rows = summary.map((s) => [
    `(${s.letter}) ${s.scenario}`,
    fixed(s.rps),
    fixed(s.p50, 2),
    fixed(s.p99, 2),
    `${s.errors}/${s.non2xx}`,
    `${fixed(s.peakRssMiB, 1)}${s.peakRssMiB > opts.rssLimitMiB ? ' OVER' : ''}`,
    fixed(s.serverCpuUsPerRequest),
    fixed(s.serverCpuPct),
    raw ? fixed(s.rps / raw.rps, 2) : '-',
    raw ? fixed(raw.serverCpuUsPerRequest / s.serverCpuUsPerRequest, 2) : '-',
  ]);
  const lines = [
    table(
      [
        'scenario',
        'req/s',
        'p50 ms',
        'p99 ms',
        'err/non2xx',
        'peak RSS MiB',
        'srv CPU µs/req',
        'srv CPU %',
        'x raw req/s',
        'x raw CPU/req',
      ],
      rows,
    ),
    '',
    `Where the CPU went (medians, % of one core over the measured window; the machine has ${os.cpus().length} cores):`,
    table(
      [
        'scenario',
        'server',
        'of which kernel',
        'postgres',
        'load gen',
        'OTLP sink',
        'irq',
        'other procs',
        'machine busy %',
        'RSS at ready MiB',
        'spans/req',
        'start-up ms',
        'req/s by round',
      ],
      summary.map((s) => [
        `(${s.letter}) ${s.scenario}`,
        fixed(s.serverCpuPct),
        fixed(s.serverKernelPct),
        fixed(s.postgresCpuPct),
        fixed(s.loadgenCpuPct),
        fixed(s.sinkCpuPct),
        fixed(s.interruptCpuPct),
        fixed(s.otherCpuPct),
        fixed(s.machineBusyPct),
        fixed(s.rssAtReadyMiB, 1),
        s.spansPerRequest === undefined ? '-' : fixed(s.spansPerRequest, 2),
        fixed(s.startupMs),
        s.rpsByRound.map((v) => fixed(v)).join(' / '),
      ]),
    ),
  ];
  if (nest) {
    const taxes = summary.filter((s) => s.scenario.startsWith('nest-'));
    if (taxes.length > 0) {
      lines.push('', 'Telemetry tax vs (b) nest (goal: throughput no more than 10 % lower):');
      for (const s of taxes)
        lines.push(
          `  (${s.letter}) ${s.scenario}: throughput ${pct(s.rps / nest.rps - 1)}, ` +
            `p50 ${pct(s.p50 / nest.p50 - 1)}, p99 ${pct(s.p99 / nest.p99 - 1)}, ` +
            `server CPU per request ${pct(s.serverCpuUsPerRequest / nest.serverCpuUsPerRequest - 1)}`,
        );
    }
  }
  const noisy = summary.filter((s) => s.otherCpuPct > NOISY_PCT);
  if (noisy.length > 0)
    lines.push(
      '',
      `WARNING: other processes used ${noisy.map((s) => `${fixed(s.otherCpuPct)} %`).join(', ')} of a core during ` +
        `${noisy.map((s) => s.scenario).join(', ')}: those numbers are distorted; rerun on a quiet machine.`,
    );
  if (raw && nest)
    lines.push(
      '',
      `Nest / raw throughput: ${fixed(nest.rps / raw.rps, 2)} (goal >= 0.85); ` +
        `raw / Nest server CPU per request: ${fixed(raw.serverCpuUsPerRequest / nest.serverCpuUsPerRequest, 2)}`,
    );
  return lines.join('\n');
}

// ---------------------------------------------------------------------------------------------------------
// Main

async function cleanup() {
  for (const child of live.children) child.kill('SIGKILL');
  live.sink?.kill('SIGTERM');
  live.sink = undefined;
  const database = live.database;
  live.database = undefined;
  if (database && !live.keepDb) {
    await dropDatabase(live.adminUrl, database).catch((error) =>
      process.stderr.write(`could not drop database ${database}: ${error.message}\n`),
    );
  }
}

async function startSink() {
  const child = fork(join(BENCH_DIR, 'otlp-sink.mjs'), [], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
  live.sink = child;
  const port = await new Promise((done, fail) => {
    child.once('message', (message) => done(message.port));
    child.once('exit', (code) => fail(new Error(`OTLP sink exited with ${code}`)));
  });
  const pending = [];
  child.on('message', (message) => {
    if (message?.type === 'stats') pending.shift()?.(message.stats);
  });
  return {
    port,
    pid: child.pid,
    stats: () =>
      new Promise((done) => {
        pending.push(done);
        child.send({ type: 'stats' });
      }),
  };
}

function gitState() {
  const run = (args) => spawnSync('git', args, { cwd: ROOT, encoding: 'utf8' }).stdout?.trim() ?? '';
  return { commit: run(['rev-parse', 'HEAD']), dirty: run(['status', '--porcelain']).length > 0 };
}

async function main() {
  const opts = options();
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const database = `emporium_bench_${process.pid}`;
  const pgUrl = dbUrl(opts.adminUrl, database);
  live.adminUrl = opts.adminUrl;
  live.keepDb = opts.keepDb;
  const interrupted = (signal) => {
    process.stderr.write(`\n${signal}: stopping servers and dropping ${database}\n`);
    void cleanup().finally(() => process.exit(130));
  };
  process.once('SIGINT', interrupted);
  process.once('SIGTERM', interrupted);

  try {
    readFileSync(opts.main);
  } catch {
    throw new Error(
      `${relative(ROOT, opts.main)} not found: build first (npx nx build product, or use bench/run.sh)`,
    );
  }

  const pgVersion = await withClient(opts.adminUrl, (client) => client.query('SHOW server_version'));
  const env = {
    node: process.version,
    cpus: os.cpus().length,
    cpuModel: os.cpus()[0]?.model,
    memoryGiB: os.totalmem() / 1024 ** 3,
    postgres: pgVersion.rows[0].server_version,
    ...gitState(),
    // Which build was measured: the working tree may have changed since the commit above.
    build: {
      file: relative(ROOT, opts.main),
      modified: statSync(opts.main).mtime.toISOString(),
      sha256: createHash('sha256').update(readFileSync(opts.main)).digest('hex').slice(0, 16),
    },
    nodeOptions: opts.nodeOptions.join(' '),
  };
  process.stdout.write(
    `product GET by id: ${opts.connections} connections, ${opts.warmup} s warm-up + ${opts.duration} s measured, ` +
      `${opts.rounds} round(s), PG_POOL_MAX=${opts.poolMax}, LOG_LEVEL=warn, NODE_ENV=production\n` +
      `machine: ${env.cpus} CPUs (${env.cpuModel}), node ${env.node}, PostgreSQL ${env.postgres}; ` +
      `load generator, servers and PostgreSQL share these CPUs\n` +
      `servers: node ${env.nodeOptions || '(no extra flags)'}; ${env.build.file} built ${env.build.modified} ` +
      `(sha256 ${env.build.sha256})\n`,
  );

  const idle = await machineBusyFraction(1_000);
  if (idle > 0.1)
    process.stdout.write(
      `WARNING: the machine is ${(100 * idle).toFixed(0)} % busy before the benchmark starts; ` +
        'other processes will distort the numbers (see "other procs" below)\n',
    );

  live.database = database;
  const seedStart = Date.now();
  const data = await prepareDatabase(opts, database, pgUrl);
  process.stdout.write(
    `database ${database}: ${data.seeded} products seeded (${data.avgTextBytes} chars of name+description on average), ` +
      `${data.ids.length} random ids, ${((Date.now() - seedStart) / 1000).toFixed(1)} s\n\n`,
  );

  const sink = opts.scenarios.some((s) => s.tracing) ? await startSink() : undefined;
  const profileDir = opts.profile ? join(RESULTS_DIR, 'profiles', stamp) : undefined;
  if (profileDir) mkdirSync(profileDir, { recursive: true });
  const ctx = { opts, data, sink, pgUrl, profileDir, database };

  const runs = [];
  const discarded = [];
  for (let round = 1; round <= opts.rounds; round++) {
    const order = round % 2 === 1 ? opts.scenarios : [...opts.scenarios].reverse();
    for (const scenario of order) {
      let run;
      for (let attempt = 0; ; attempt++) {
        if (opts.quietWait > 0) await waitForQuiet(opts.quietWait);
        run = await runScenario(scenario, round, ctx);
        const otherPct = (100 * run.cpu.otherSeconds) / run.seconds;
        if (run.failures.length > 0 || otherPct <= NOISY_PCT || attempt >= opts.retryNoisy) break;
        discarded.push(run);
        process.stdout.write(
          `round ${round} (${scenario.letter}) ${scenario.name}: other processes used ${fixed(otherPct)} % ` +
            `of a core (${fixed(run.rps)} req/s); discarded, running it again\n`,
        );
      }
      runs.push(run);
      process.stdout.write(
        `round ${round} (${scenario.letter}) ${scenario.name.padEnd(16)} ${fixed(run.rps).padStart(6)} req/s  ` +
          `p50 ${fixed(run.latencyMs.p50, 2)} ms  p99 ${fixed(run.latencyMs.p99, 2)} ms  ` +
          `RSS ${fixed(run.memory.peakRssMiB, 1)} MiB  server CPU ${fixed(run.cpu.serverPct)} %` +
          `  other procs ${fixed((100 * run.cpu.otherSeconds) / run.seconds)} %` +
          `${run.spans === undefined ? '' : `  spans ${run.spans}`}` +
          `${run.failures.length > 0 ? `  FAILED: ${run.failures.join('; ')}` : ''}\n`,
      );
      if (run.failures.length > 0 && run.output)
        process.stdout.write(`--- server output ---\n${run.output}\n---\n`);
    }
  }

  const summary = summarise(opts.scenarios, runs);
  process.stdout.write(`\n${report(summary, opts)}\n`);

  const profiles = [];
  if (profileDir) {
    process.stdout.write(
      `\nCPU profiles (${relative(ROOT, profileDir)}); throughput above is depressed by the profiler, ` +
        'compare µs/req between profiles, not with the table:\n',
    );
    for (const run of runs.filter((r) => r.round === 1)) {
      const profile = JSON.parse(readFileSync(run.profile, 'utf8'));
      const profileSummary = summariseProfile(profile, run.window);
      profiles.push({
        scenario: run.scenario,
        file: relative(ROOT, run.profile),
        requests: run.requests,
        ...profileSummary,
      });
      process.stdout.write(
        `\n${formatSummary(profileSummary, {
          top: opts.top,
          requests: run.requests,
          cpuMs: run.cpu.serverSeconds * 1000,
          title: `== (${SCENARIOS.find((s) => s.name === run.scenario).letter}) ${run.scenario}: ${relative(ROOT, run.profile)}`,
        })}\n`,
      );
    }
  }

  mkdirSync(RESULTS_DIR, { recursive: true });
  const file = join(RESULTS_DIR, `${stamp}.json`);
  const failed = runs.filter((run) => run.failures.length > 0);
  const overLimit = summary.filter((s) => s.peakRssMiB > opts.rssLimitMiB);
  writeFileSync(
    file,
    `${JSON.stringify(
      {
        benchmark: 'product-get',
        at: new Date().toISOString(),
        options: { ...opts, scenarios: opts.scenarios.map((s) => s.name) },
        environment: env,
        data: { products: data.seeded, ids: data.ids.length, avgTextBytes: data.avgTextBytes },
        summary,
        runs,
        discarded,
        profiles: profiles.map(({ selfByFunction, ...rest }) => ({
          ...rest,
          selfByFunction: selfByFunction.slice(0, 50),
        })),
        ok: failed.length === 0,
      },
      null,
      2,
    )}\n`,
  );
  process.stdout.write(`\nresults: ${relative(ROOT, file)}\n`);

  if (failed.length > 0) {
    process.stdout.write(
      `\nFAILED: ${failed.length} run(s) had errors; the numbers above are not valid:\n` +
        failed.map((run) => `  round ${run.round} ${run.scenario}: ${run.failures.join('; ')}`).join('\n') +
        '\n',
    );
    return 1;
  }
  if (overLimit.length > 0) {
    process.stdout.write(
      `\nMEMORY: peak RSS over the ${opts.rssLimitMiB} MiB limit: ${overLimit.map((s) => `${s.scenario} ${fixed(s.peakRssMiB, 1)} MiB`).join(', ')}\n`,
    );
    return 3;
  }
  return 0;
}

// Output piped into e.g. `head` must not kill the run before it has stopped its servers and dropped its database.
process.stdout.on('error', () => undefined);

let exitCode = 1;
try {
  exitCode = await main();
} catch (error) {
  process.stderr.write(
    `benchmark failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  exitCode = 1;
} finally {
  await cleanup();
}
process.exit(exitCode);
