/**
 * `npm run bench:outbox`: the outbox relay's confirmed publications per second against raw amqplib
 * publishing the same messages with pipelined confirms, side by side in one run, plus commit-to-publish
 * latency and the process's peak RSS. Uses a throwaway database and vhost on the local PostgreSQL and
 * RabbitMQ, and deletes them afterwards.
 *
 *   --messages N    messages per scenario (default 20000)
 *   --tx-size N     events per writer transaction (default 50)
 *   --writers N     concurrent writer connections (default 4)
 *   --rounds N      rounds of every scenario; the best of each is reported (default 2)
 *   --paced-rate N  offered load of the paced scenario, msg/s (default 5000)
 */
import { fork } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';

import { PgEnv } from '@emporium/platform/config';
import { DatabaseModule, runMigrations, ServiceDatabase } from '@emporium/platform/database';
import { createServiceApp, PlatformModule, ServiceDescriptor } from '@emporium/platform/http';
import {
  CreateMessagingTables1764200000000,
  createEnvelope,
  MessagingModule,
  Outbox,
  OutboxRelay,
  OutgoingEvent,
  publishConfirmed,
  RmqEnv,
} from '@emporium/platform/messaging';
import { createTestDatabase, createTestVhost } from '@emporium/platform/testing';
import { Module } from '@nestjs/common';
import { connect } from 'amqplib';
import { DataSource } from 'typeorm';

const { values: args } = parseArgs({
  options: {
    messages: { type: 'string', default: '20000' },
    'tx-size': { type: 'string', default: '50' },
    writers: { type: 'string', default: '4' },
    rounds: { type: 'string', default: '2' },
    'paced-rate': { type: 'string', default: '5000' },
    // Internal: run as the writer process of the separate-writer scenario.
    writer: { type: 'boolean', default: false },
  },
});
const MESSAGES = Number(args.messages);
const TX_SIZE = Number(args['tx-size']);
const WRITERS = Number(args.writers);
const ROUNDS = Number(args.rounds);
const PACED_RATE = Number(args['paced-rate']);

const SERVICE: ServiceDescriptor = {
  name: 'product',
  version: 'bench',
  defaultPort: 3999,
  description: 'outbox benchmark',
  env: [PgEnv, RmqEnv],
};
const DATABASE: ServiceDatabase = {
  schema: 'product',
  entities: [],
  migrations: [CreateMessagingTables1764200000000],
};

@Module({
  imports: [PlatformModule.forService(SERVICE), DatabaseModule.forRoot(DATABASE), MessagingModule.forRoot()],
})
class BenchModule {}

let peakRss = 0;
const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 20);

function event(): OutgoingEvent {
  const productId = randomUUID();
  return {
    type: 'product.updated',
    subject: productId,
    data: {
      productId,
      sku: `SKU-${productId.slice(0, 8)}`,
      name: 'Benchmark mug with a realistic name',
      price: { amount: 1999, currency: 'USD' },
      category: 'kitchen',
      active: true,
    },
  } as OutgoingEvent;
}

const percentile = (sorted: number[], p: number): number =>
  sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];

async function rawScenario(url: string, sink: string): Promise<number> {
  const connection = await connect(url);
  const channel = await connection.createConfirmChannel();
  const bodies = Array.from({ length: MESSAGES }, () =>
    Buffer.from(JSON.stringify(createEnvelope(event(), { source: 'product' }))),
  );
  const started = process.hrtime.bigint();
  for (let i = 0; i < bodies.length; i += 500)
    await publishConfirmed(
      channel,
      bodies.slice(i, i + 500).map((body) => ({
        exchange: 'product.events',
        routingKey: 'product.updated',
        body,
        properties: { persistent: true, contentType: 'application/cloudevents+json' },
      })),
      30_000,
    );
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  await channel.purgeQueue(sink);
  await connection.close();
  return MESSAGES / seconds;
}

/** Commits MESSAGES rows through WRITERS concurrent transactions of TX_SIZE events. */
async function writeAll(dataSource: DataSource, outbox: Outbox): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: WRITERS }, async () => {
      while (next < MESSAGES) {
        const count = Math.min(TX_SIZE, MESSAGES - next);
        next += count;
        await dataSource.transaction((manager) =>
          outbox.addAll(manager, Array.from({ length: count }, event)),
        );
      }
    }),
  );
}

/** Resolves once the relay has published every row of the outbox. */
async function untilAllSent(dataSource: DataSource): Promise<void> {
  for (;;) {
    const [{ unsent }] = (await dataSource.query(
      'SELECT count(*)::int AS unsent FROM product.outbox WHERE sent_at IS NULL',
    )) as { unsent: number }[];
    if (unsent === 0) break;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** Waits until every row is published, then the publication rate and commit-to-publish latencies. */
async function published(
  dataSource: DataSource,
  relay: OutboxRelay,
): Promise<{ rate: number; p50: number; p99: number }> {
  await untilAllSent(dataSource);
  await relay.flush();
  const [{ first, last, total }] = (await dataSource.query(
    'SELECT extract(epoch FROM min(created_at)) AS first, extract(epoch FROM max(sent_at)) AS last, count(*)::int AS total FROM product.outbox',
  )) as { first: number; last: number; total: number }[];
  const latencies = (
    (await dataSource.query(
      'SELECT extract(epoch FROM sent_at - created_at) * 1000 AS ms FROM product.outbox ORDER BY 1',
    )) as { ms: number }[]
  ).map((row) => Number(row.ms));
  return {
    rate: total / (Number(last) - Number(first)),
    p50: percentile(latencies, 0.5),
    p99: percentile(latencies, 0.99),
  };
}

/** Writers in this process, saturating its event loop together with the relay. */
async function relayScenario(
  dataSource: DataSource,
  outbox: Outbox,
  relay: OutboxRelay,
): Promise<{ rate: number; p50: number; p99: number }> {
  await dataSource.query('TRUNCATE product.outbox');
  await writeAll(dataSource, outbox);
  return published(dataSource, relay);
}

/**
 * Writers in another process (as other requests, or another replica, would be): the relay's own rate
 * while rows keep arriving, without sharing its event loop with them.
 */
async function separateWriterScenario(
  dataSource: DataSource,
  relay: OutboxRelay,
): Promise<{ rate: number; p50: number; p99: number }> {
  await dataSource.query('TRUNCATE product.outbox');
  const writer = fork(__filename, ['--writer', ...process.argv.slice(2)], {
    execArgv: ['-r', '@swc-node/register'],
    env: { ...process.env, OUTBOX_RELAY_ENABLED: 'false' },
  });
  const next = (type: string) =>
    new Promise<void>((resolve, reject) => {
      writer.once('message', (message) =>
        message === type ? resolve() : reject(new Error(String(message))),
      );
      writer.once('exit', (code) => reject(new Error(`writer exited with ${code}`)));
    });
  await next('ready');
  writer.send('go');
  await next('done');
  return published(dataSource, relay);
}

/** The writer process of separateWriterScenario. */
async function writer(): Promise<void> {
  const app = await createServiceApp(BenchModule, SERVICE);
  await app.init();
  process.send?.('ready');
  await new Promise((resolve) => process.once('message', resolve));
  await writeAll(app.get(DataSource), app.get(Outbox));
  process.send?.('done');
  await app.close();
  process.exit(0);
}

/**
 * Writers committing at a steady `rate` (below saturation), the relay publishing as they go: the
 * commit-to-publish latency a service sees in normal operation, and whether the relay keeps up.
 */
async function pacedScenario(
  dataSource: DataSource,
  outbox: Outbox,
  relay: OutboxRelay,
  rate: number,
): Promise<{ rate: number; p50: number; p99: number }> {
  await dataSource.query('TRUNCATE product.outbox');
  const transactions = Math.ceil(MESSAGES / TX_SIZE);
  const started = Date.now();
  const inFlight = new Set<Promise<unknown>>();
  for (let i = 0; i < transactions; i += 1) {
    const due = started + (i * TX_SIZE * 1000) / rate;
    if (due > Date.now()) await new Promise((resolve) => setTimeout(resolve, due - Date.now()));
    while (inFlight.size >= WRITERS) await Promise.race(inFlight);
    const tx = dataSource
      .transaction((manager) => outbox.addAll(manager, Array.from({ length: TX_SIZE }, event)))
      .finally(() => inFlight.delete(tx));
    inFlight.add(tx);
  }
  await Promise.all(inFlight);
  return published(dataSource, relay);
}

/** The relay alone: rows committed first (relay stopped, as after a broker outage), then published. */
async function drainScenario(dataSource: DataSource, outbox: Outbox, relay: OutboxRelay): Promise<number> {
  await dataSource.query('TRUNCATE product.outbox');
  await relay.stop();
  await writeAll(dataSource, outbox);
  const started = process.hrtime.bigint();
  relay.start();
  await untilAllSent(dataSource);
  return MESSAGES / (Number(process.hrtime.bigint() - started) / 1e9);
}

async function main(): Promise<void> {
  const [db, vhost] = await Promise.all([createTestDatabase('bench'), createTestVhost('bench')]);
  try {
    await runMigrations(Object.assign(new PgEnv(), { PG_URL: db.url }), DATABASE);
    Object.assign(process.env, {
      PG_URL: db.url,
      RMQ_URL: vhost.url,
      LOG_LEVEL: 'warn',
      PG_POOL_MAX: String(WRITERS + 2),
    });
    // A durable queue bound to the exchange, so both scenarios route and persist every message.
    const admin = await connect(vhost.url);
    const channel = await admin.createChannel();
    await channel.assertExchange('product.events', 'topic', { durable: true });
    const sink = 'bench.sink';
    await channel.assertQueue(sink, { durable: true, arguments: { 'x-queue-type': 'quorum' } });
    await channel.bindQueue(sink, 'product.events', '#');

    const app = await createServiceApp(BenchModule, SERVICE);
    await app.init();
    const dataSource = app.get(DataSource);
    const outbox = app.get(Outbox);
    const relay = app.get(OutboxRelay);

    let raw = 0;
    let drain = 0;
    let separate = { rate: 0, p50: 0, p99: 0 };
    let paced = { rate: 0, p50: Number.POSITIVE_INFINITY, p99: Number.POSITIVE_INFINITY };
    let best = { rate: 0, p50: 0, p99: 0 };
    for (let round = 1; round <= ROUNDS; round += 1) {
      const rawRate = await rawScenario(vhost.url, sink);
      const relayRun = await relayScenario(dataSource, outbox, relay);
      await channel.purgeQueue(sink);
      const drainRate = await drainScenario(dataSource, outbox, relay);
      await channel.purgeQueue(sink);
      drain = Math.max(drain, drainRate);
      const separateRun = await separateWriterScenario(dataSource, relay);
      await channel.purgeQueue(sink);
      if (separateRun.rate > separate.rate) separate = separateRun;
      process.stderr.write(
        `round ${round}: writers in another process → relay ${separateRun.rate.toFixed(0)} msg/s (p50 ${separateRun.p50.toFixed(1)} ms, p99 ${separateRun.p99.toFixed(1)} ms)\n`,
      );
      const pacedRun = await pacedScenario(dataSource, outbox, relay, PACED_RATE);
      await channel.purgeQueue(sink);
      if (pacedRun.p99 < paced.p99) paced = pacedRun;
      process.stderr.write(
        `round ${round}: paced ${PACED_RATE}/s → published ${pacedRun.rate.toFixed(0)} msg/s, p50 ${pacedRun.p50.toFixed(1)} ms, p99 ${pacedRun.p99.toFixed(1)} ms\n`,
      );
      process.stderr.write(
        `round ${round}: raw ${rawRate.toFixed(0)} msg/s, relay live ${relayRun.rate.toFixed(0)} msg/s (p50 ${relayRun.p50.toFixed(1)} ms, p99 ${relayRun.p99.toFixed(1)} ms), relay drain ${drainRate.toFixed(0)} msg/s\n`,
      );
      raw = Math.max(raw, rawRate);
      if (relayRun.rate > best.rate) best = relayRun;
    }
    await app.close();
    await admin.close();

    const rows = [
      ['scenario', 'msg/s', 'commit→publish p50', 'p99', 'vs raw'],
      ['raw amqplib, pipelined confirms', raw.toFixed(0), '', '', '1.00'],
      [
        `outbox relay (${WRITERS} writers × ${TX_SIZE}/tx)`,
        best.rate.toFixed(0),
        `${best.p50.toFixed(1)} ms`,
        `${best.p99.toFixed(1)} ms`,
        (best.rate / raw).toFixed(2),
      ],
      ['outbox relay, draining a committed backlog', drain.toFixed(0), '', '', (drain / raw).toFixed(2)],
      [
        `outbox relay, ${WRITERS} writers × ${TX_SIZE}/tx in another process`,
        separate.rate.toFixed(0),
        `${separate.p50.toFixed(1)} ms`,
        `${separate.p99.toFixed(1)} ms`,
        (separate.rate / raw).toFixed(2),
      ],
      [
        `outbox relay, writers paced at ${PACED_RATE} msg/s`,
        paced.rate.toFixed(0),
        `${paced.p50.toFixed(1)} ms`,
        `${paced.p99.toFixed(1)} ms`,
        '',
      ],
    ];
    process.stdout.write(
      `\n${MESSAGES} messages per scenario, best of ${ROUNDS} rounds, quorum sink queue\n`,
    );
    for (const row of rows) process.stdout.write(`| ${row.join(' | ')} |\n`);
    process.stdout.write(
      `peak RSS of the process (writers + relay + raw publisher): ${(peakRss / 2 ** 20).toFixed(0)} MiB\n`,
    );
    process.stdout.write(
      `goal (>= 5000 msg/s and >= 0.5 of raw): relay draining ${drain >= 5000 && drain / raw >= 0.5 ? 'met' : 'NOT met'}, writers in another process ${separate.rate >= 5000 && separate.rate / raw >= 0.5 ? 'met' : 'NOT met'}, beside saturating writers in the same process ${best.rate >= 5000 && best.rate / raw >= 0.5 ? 'met' : 'NOT met'}\n`,
    );
  } finally {
    clearInterval(sampler);
    await Promise.all([db.drop(), vhost.drop()]);
  }
}

(args.writer ? writer() : main()).catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
