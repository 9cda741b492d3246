import { PgEnv } from '@emporium/platform/config';
import { pgPoolOf } from '@emporium/platform/database';
import { Logger } from '@emporium/platform/logging';
import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { context, propagation, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { Client, Pool, PoolClient } from 'pg';
import { DataSource } from 'typeorm';

import { BrokerConnection } from './broker';
import { CLOUDEVENTS_CONTENT_TYPE } from './envelope';
import { RmqEnv } from './messaging.env';
import { MessagingMetrics } from './messaging.metrics';
import { outboxChannel, serviceSchema } from './messaging-tables.migration';
import { HEADERS } from './naming';
import { OutgoingMessage, publishConfirmed } from './publish';

interface OutboxRow {
  seq: string;
  id: string;
  aggregate_id: string;
  exchange: string;
  routing_key: string;
  envelope: string;
  traceparent: string | null;
  tracestate: string | null;
  requestid: string | null;
  created_ms: string;
}

const CONFIRM_TIMEOUT_MS = 10_000;
const BATCHES_IN_FLIGHT = 2;
const PRUNE_EVERY_MS = 60_000;
const PRUNE_BATCH = 10_000;
const tracer = trace.getTracer('@emporium/platform/messaging');

/**
 * Publishes committed outbox rows. Woken by the outbox trigger's NOTIFY (delivered at commit), with polling
 * as the fallback when the LISTEN connection is down or a notification is missed.
 *
 * Several replicas may run it at once. A batch is claimed in a transaction that takes, for each row, a
 * transaction-scoped advisory lock on the row's aggregate and a row lock (`FOR UPDATE SKIP LOCKED`): rows
 * another relay holds are skipped, and so are all rows of an aggregate another relay is publishing, so
 * per-aggregate order holds however many relays run. The batch is published with pipelined confirms, marked
 * sent, and committed; the locks go with the commit. If the process dies in between, the rows are still
 * unsent and the next relay publishes them again: at-least-once, which the consumers' inbox absorbs.
 */
@Injectable()
export class OutboxRelay {
  private readonly pool: Pool;
  private readonly table: string;
  private readonly channelName: string;
  private readonly lockSpace: string;
  private listener?: Client;
  private pollTimer?: NodeJS.Timeout;
  private pruneTimer?: NodeJS.Timeout;
  private listenRetry?: NodeJS.Timeout;
  private running?: Promise<void>;
  private again = false;
  private stopped = true;

  constructor(
    @InjectDataSource() dataSource: DataSource,
    private readonly broker: BrokerConnection,
    private readonly env: RmqEnv,
    private readonly pg: PgEnv,
    private readonly metrics: MessagingMetrics,
    private readonly logger: Logger,
  ) {
    const schema = serviceSchema(dataSource);
    this.pool = pgPoolOf(dataSource);
    this.table = `"${schema}".outbox`;
    this.channelName = outboxChannel(schema);
    this.lockSpace = `${schema}.outbox`;
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.listen();
    this.pollTimer = setInterval(() => {
      this.kick();
      void this.sampleBacklog();
    }, this.env.OUTBOX_POLL_MS);
    this.pruneTimer = setInterval(() => void this.prune(), PRUNE_EVERY_MS);
    this.kick();
  }

  /** Stops waking up, finishes the batch in flight, then publishes what is left once (bounded by `timeoutMs`). */
  async stop(timeoutMs = 3_000): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    clearInterval(this.pollTimer);
    clearInterval(this.pruneTimer);
    clearTimeout(this.listenRetry);
    const listener = this.listener;
    this.listener = undefined;
    await listener?.end().catch(() => undefined);
    await this.running;
    const deadline = Date.now() + timeoutMs;
    try {
      while (Date.now() < deadline && this.broker.publishChannel) {
        if ((await this.publishBatch()) < this.env.OUTBOX_BATCH_SIZE) break;
      }
    } catch (error) {
      this.logger.warn(
        `Final outbox flush failed (rows stay for the next relay): ${(error as Error).message}`,
      );
    }
  }

  /** Publishes until the outbox is empty; coalesces wake-ups that arrive meanwhile into one more pass. */
  kick(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = this.drain().finally(() => {
      this.running = undefined;
    });
  }

  /** Resolves once every row committed before the call has been published (tests and benchmarks). */
  async flush(): Promise<void> {
    while (this.running) await this.running;
    while ((await this.publishBatch()) > 0);
  }

  /**
   * Two batches in flight at once, so one is claimed and marked in the database while the other waits for
   * the broker's confirms. They exclude each other exactly as two relays would (row and aggregate locks).
   */
  private async drain(): Promise<void> {
    try {
      do {
        this.again = false;
        await Promise.all(Array.from({ length: BATCHES_IN_FLIGHT }, () => this.drainLoop()));
      } while (this.again && !this.stopped);
    } catch (error) {
      // The rows stay unsent; the next notification or poll tries again.
      this.logger.warn(`Outbox relay pass failed: ${(error as Error).message}`);
    }
  }

  private async drainLoop(): Promise<void> {
    while (!this.stopped && (await this.publishBatch()) === this.env.OUTBOX_BATCH_SIZE);
  }

  /** Claims, publishes and marks one batch; returns how many rows it published. */
  private async publishBatch(): Promise<number> {
    const channel = this.broker.publishChannel;
    if (!channel) return 0;
    const client = await this.pool.connect();
    // A connection lost mid-batch is also emitted as an 'error' event on the checked-out client, which
    // would crash the process without a listener; the failed query already reports it.
    const ignore = (): void => undefined;
    client.on('error', ignore);
    let failed = false;
    try {
      await client.query('BEGIN');
      // The oldest unsent rows no other batch holds (row locks live in the rows, not in the lock table),
      // then an advisory lock per aggregate on those rows only: the MATERIALIZED fences keep the planner
      // from evaluating the lock function over the whole table, so even a large backlog never takes more
      // than a batch's worth of advisory locks.
      const { rows: claimed } = await client.query<OutboxRow>(
        `WITH candidates AS MATERIALIZED (
           SELECT seq, aggregate_id FROM ${this.table} WHERE sent_at IS NULL ORDER BY seq LIMIT $2
              FOR UPDATE SKIP LOCKED
         ), mine AS MATERIALIZED (
           SELECT seq FROM candidates WHERE pg_try_advisory_xact_lock(hashtext($1), hashtext(aggregate_id))
         )
         SELECT o.seq, o.id, o.aggregate_id, o.exchange, o.routing_key, o.envelope::text AS envelope,
                o.envelope->>'traceparent' AS traceparent, o.envelope->>'tracestate' AS tracestate,
                o.envelope->>'requestid' AS requestid,
                (extract(epoch FROM o.created_at) * 1000)::bigint::text AS created_ms
           FROM ${this.table} o JOIN mine USING (seq)
          ORDER BY o.seq`,
        [this.lockSpace, this.env.OUTBOX_BATCH_SIZE],
      );
      const rows = await this.inOrder(client, claimed);
      if (rows.length === 0) {
        await client.query('COMMIT');
        return 0;
      }
      const spans = rows.map((row) => this.publishSpan(row));
      try {
        await publishConfirmed(
          channel,
          rows.map((row, i) => this.messageOf(row, spans[i].headers)),
          CONFIRM_TIMEOUT_MS,
        );
      } catch (error) {
        for (const { span } of spans) {
          span?.setStatus({ code: SpanStatusCode.ERROR, message: (error as Error).message });
          span?.end();
        }
        throw error;
      }
      for (const { span } of spans) span?.end();
      await client.query(
        `UPDATE ${this.table} SET sent_at = clock_timestamp() WHERE seq = ANY($1::bigint[])`,
        [rows.map((row) => row.seq)],
      );
      await client.query('COMMIT');
      for (const row of rows) this.metrics.published.inc({ type: row.routing_key });
      return rows.length;
    } catch (error) {
      failed = true;
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      client.off('error', ignore);
      client.release(failed);
    }
  }

  /**
   * Drops the claimed rows of any aggregate that has an unsent row, older than its last claimed one, outside
   * this batch: publishing around it would break the aggregate's order. Such a row exists when another batch
   * holds its row lock (batches lock candidate rows before they try the aggregates' advisory locks, and
   * keep the locks of rows whose aggregate they could not take) or committed it after this batch's
   * snapshot. Checked with a fresh snapshot while this batch holds the aggregate's advisory lock, so no other
   * batch is publishing the aggregate meanwhile; the dropped rows wait for a later pass, which takes the
   * older ones first.
   */
  private async inOrder(client: PoolClient, claimed: OutboxRow[]): Promise<OutboxRow[]> {
    if (claimed.length === 0) return claimed;
    const lastSeq = new Map<string, string>();
    for (const row of claimed) lastSeq.set(row.aggregate_id, row.seq);
    const { rows: blocked } = await client.query<{ aggregate_id: string }>(
      `SELECT DISTINCT o.aggregate_id
         FROM unnest($1::text[], $2::bigint[]) AS c(aggregate_id, last_seq)
         JOIN ${this.table} o ON o.aggregate_id = c.aggregate_id AND o.sent_at IS NULL AND o.seq < c.last_seq
        WHERE o.seq <> ALL($3::bigint[])`,
      [[...lastSeq.keys()], [...lastSeq.values()], claimed.map((row) => row.seq)],
    );
    if (blocked.length === 0) return claimed;
    const waiting = new Set(blocked.map((row) => row.aggregate_id));
    return claimed.filter((row) => !waiting.has(row.aggregate_id));
  }

  /**
   * A producer span per message, child of the request that wrote the row (its traceparent was stored in
   * the envelope); the message carries the span's own context so the consumer's span follows it.
   */
  private publishSpan(row: OutboxRow): {
    span?: ReturnType<typeof tracer.startSpan>;
    headers: Record<string, string>;
  } {
    const stored: Record<string, string> = {};
    if (row.traceparent) stored.traceparent = row.traceparent;
    if (row.tracestate) stored.tracestate = row.tracestate;
    const parent = propagation.extract(context.active(), stored);
    if (!trace.getSpanContext(parent)?.traceFlags) return { headers: stored };
    const span = tracer.startSpan(
      `publish ${row.routing_key}`,
      {
        kind: SpanKind.PRODUCER,
        attributes: {
          'messaging.system': 'rabbitmq',
          'messaging.operation.type': 'publish',
          'messaging.destination.name': row.exchange,
          'messaging.rabbitmq.destination.routing_key': row.routing_key,
          'messaging.message.id': row.id,
        },
      },
      parent,
    );
    const headers: Record<string, string> = {};
    propagation.inject(trace.setSpan(parent, span), headers);
    return { span, headers };
  }

  private messageOf(row: OutboxRow, trace: Record<string, string>): OutgoingMessage {
    return {
      exchange: row.exchange,
      routingKey: row.routing_key,
      body: Buffer.from(row.envelope),
      properties: {
        persistent: true,
        contentType: CLOUDEVENTS_CONTENT_TYPE,
        messageId: row.id,
        type: row.routing_key,
        timestamp: Math.floor(Number(row.created_ms) / 1000),
        headers: {
          ...(trace.traceparent ? { [HEADERS.traceparent]: trace.traceparent } : {}),
          ...(trace.tracestate ? { [HEADERS.tracestate]: trace.tracestate } : {}),
          ...(row.requestid ? { [HEADERS.requestId]: row.requestid } : {}),
        },
      },
    };
  }

  private listen(): void {
    if (this.stopped) return;
    const client = new Client({
      connectionString: this.pg.PG_URL,
      application_name: `${this.lockSpace}-relay`,
    });
    const retry = (reason: string): void => {
      if (this.listener !== client) return;
      this.listener = undefined;
      client.end().catch(() => undefined);
      this.logger.warn(
        `Outbox LISTEN connection lost (${reason}); polling every ${this.env.OUTBOX_POLL_MS} ms meanwhile`,
      );
      this.listenRetry = setTimeout(() => this.listen(), Math.max(1_000, this.env.OUTBOX_POLL_MS));
    };
    this.listener = client;
    client.on('notification', () => this.kick());
    client.on('error', (error) => retry(error.message));
    client.on('end', () => retry('closed'));
    client
      .connect()
      .then(() => client.query(`LISTEN "${this.channelName}"`))
      .then(() => this.kick())
      .catch((error: Error) => retry(error.message));
  }

  private async sampleBacklog(): Promise<void> {
    try {
      const { rows } = await this.pool.query<{ backlog: string; age: number | null }>(
        `SELECT count(*)::text AS backlog, extract(epoch FROM clock_timestamp() - min(created_at))::float8 AS age
           FROM ${this.table} WHERE sent_at IS NULL`,
      );
      this.metrics.outboxBacklog.set(Number(rows[0].backlog));
      this.metrics.outboxOldestAge.set(rows[0].age ?? 0);
    } catch {
      // The database being down shows on readiness; the gauges keep their last values.
    }
  }

  /**
   * Deletes sent rows older than the retention, a bounded batch at a time. Rows are sent roughly in seq
   * order, so the oldest sent rows are found along the primary key without an index on sent_at (one index
   * fewer to update on every publication).
   */
  private async prune(): Promise<void> {
    try {
      await this.pool.query(
        `DELETE FROM ${this.table} WHERE seq IN (
           SELECT seq FROM ${this.table}
            WHERE sent_at < clock_timestamp() - make_interval(secs => $1::float8 / 1000)
            ORDER BY seq
            LIMIT ${PRUNE_BATCH})`,
        [this.env.OUTBOX_RETENTION_MS],
      );
    } catch (error) {
      this.logger.warn(`Outbox pruning failed: ${(error as Error).message}`);
    }
  }
}
