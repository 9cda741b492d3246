import { EventType } from '@emporium/contracts';
import { PgEnv } from '@emporium/platform/config';
import { DatabaseModule, runMigrations, ServiceDatabase } from '@emporium/platform/database';
import { createServiceApp, DomainError, PlatformModule, ServiceDescriptor } from '@emporium/platform/http';
import { Injectable, Module } from '@nestjs/common';
import { NestFastifyApplication } from '@nestjs/platform-fastify';
import { connect } from 'amqplib';
import { DataSource, MigrationInterface, QueryRunner } from 'typeorm';

import {
  CloudEvent,
  CreateMessagingTables1764200000000,
  eventsExchange,
  HandlerContext,
  MessageConsumer,
  MessagingModule,
  OnEvent,
  Outbox,
  OutboxRelay,
  OutgoingEvent,
  RmqEnv,
} from '../src';

/** The test service publishes product events (it is named product) and consumes them into `effects`. */
export const SERVICE: ServiceDescriptor = {
  name: 'product',
  version: '0.0.0-test',
  defaultPort: 3999,
  description: 'messaging test service',
  env: [PgEnv, RmqEnv],
};

class CreateEffects1764200000001 implements MigrationInterface {
  name = 'CreateEffects1764200000001';
  async up(queryRunner: QueryRunner): Promise<void> {
    // No unique key on purpose: a message handled twice would show as two rows.
    await queryRunner.query(`
      CREATE TABLE product.effects (
        seq        bigint GENERATED ALWAYS AS IDENTITY,
        event_id   text   NOT NULL,
        subject    text   NOT NULL,
        name       text,
        attempt    int    NOT NULL,
        request_id text
      )`);
  }
  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP TABLE product.effects');
  }
}

export const DATABASE: ServiceDatabase = {
  schema: 'product',
  entities: [],
  migrations: [CreateMessagingTables1764200000000, CreateEffects1764200000001],
};

/** What the test consumer does with each delivery; tests change it between cases. */
export const behaviour = {
  /** Throw on every attempt up to and including this one (Infinity: always). */
  failUntilAttempt: 0,
  delayMs: 0,
  calls: 0,
  /** Refuse every event as a domain conflict (a permanent failure). */
  refuse: false,
};

export function resetBehaviour(): void {
  behaviour.failUntilAttempt = 0;
  behaviour.delayMs = 0;
  behaviour.calls = 0;
  behaviour.refuse = false;
}

@Injectable()
@MessageConsumer('projection')
export class ProjectionConsumer {
  @OnEvent('product.created')
  async onCreated(
    event: CloudEvent<{ productId: string; name: string }>,
    ctx: HandlerContext,
  ): Promise<void> {
    await this.record(event, event.data.name, ctx);
  }

  @OnEvent('product.updated')
  async onUpdated(
    event: CloudEvent<{ productId: string; name: string }>,
    ctx: HandlerContext,
  ): Promise<void> {
    await this.record(event, event.data.name, ctx);
  }

  private async record(event: CloudEvent, name: string, ctx: HandlerContext): Promise<void> {
    behaviour.calls += 1;
    await ctx.manager.query(
      'INSERT INTO product.effects (event_id, subject, name, attempt, request_id) VALUES ($1, $2, $3, $4, $5)',
      [event.id, event.subject, name, ctx.attempt, event.requestid ?? null],
    );
    if (behaviour.delayMs > 0) await new Promise((resolve) => setTimeout(resolve, behaviour.delayMs));
    if (behaviour.refuse) throw new DomainError('NAME_TAKEN', 'conflict', `${name} is taken`);
    if (ctx.attempt <= behaviour.failUntilAttempt)
      throw new Error(`induced failure on attempt ${ctx.attempt}`);
  }
}

@Module({
  imports: [PlatformModule.forService(SERVICE), DatabaseModule.forRoot(DATABASE), MessagingModule.forRoot()],
  providers: [ProjectionConsumer],
})
export class TestMessagingModule {}

export interface Instance {
  app: NestFastifyApplication;
  outbox: Outbox;
  relay: OutboxRelay;
  dataSource: DataSource;
  close(): Promise<void>;
}

/** One replica of the test service on the given database and vhost (the database must be migrated). */
export async function startInstance(env: Record<string, string>): Promise<Instance> {
  const previous = { ...process.env };
  Object.assign(process.env, { LOG_LEVEL: process.env['TEST_LOG_LEVEL'] ?? 'silent', ...env });
  try {
    const app = await createServiceApp(TestMessagingModule, SERVICE);
    await app.init();
    return {
      app,
      outbox: app.get(Outbox),
      relay: app.get(OutboxRelay),
      dataSource: app.get(DataSource),
      close: () => app.close(),
    };
  } finally {
    process.env = previous;
  }
}

export async function migrate(pgUrl: string): Promise<void> {
  const pg = Object.assign(new PgEnv(), { PG_URL: pgUrl });
  await runMigrations(pg, DATABASE);
}

let productCounter = 0;

/** A valid product.created (or updated) event for `subject`. */
export function productEvent(
  subject: string,
  name = `Product ${++productCounter}`,
  type: Extract<EventType, 'product.created' | 'product.updated'> = 'product.created',
): OutgoingEvent {
  return {
    type,
    subject,
    data: {
      productId: subject,
      sku: `SKU-${productCounter}`,
      name,
      price: { amount: 1999, currency: 'USD' },
      category: 'kitchen',
      active: true,
    },
  } as OutgoingEvent;
}

export async function publishInTransaction(instance: Instance, events: OutgoingEvent[]): Promise<void> {
  await instance.dataSource.transaction((manager) => instance.outbox.addAll(manager, events));
}

export async function effects(
  instance: Instance,
): Promise<
  { event_id: string; subject: string; name: string; attempt: number; request_id: string | null }[]
> {
  return instance.dataSource.query(
    'SELECT event_id, subject, name, attempt, request_id FROM product.effects ORDER BY seq',
  );
}

/** Polls until `check` returns true (no fixed sleeps, no timing assertions). */
export async function eventually(
  check: () => Promise<boolean> | boolean,
  timeoutMs = 15_000,
  what = 'condition',
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/**
 * A raw observer on the broker: its own exclusive queue bound to `product.events`, recording every message
 * exactly as delivered (no de-duplication), to count publications.
 */
export async function observe(url: string): Promise<{
  messages: { id: string; subject: string; name: string; headers: Record<string, unknown> }[];
  close(): Promise<void>;
}> {
  const connection = await connect(url);
  const channel = await connection.createChannel();
  await channel.assertExchange(eventsExchange('product'), 'topic', { durable: true });
  const { queue } = await channel.assertQueue('', { exclusive: true });
  await channel.bindQueue(queue, eventsExchange('product'), '#');
  const messages: { id: string; subject: string; name: string; headers: Record<string, unknown> }[] = [];
  await channel.consume(
    queue,
    (message) => {
      if (!message) return;
      const body = JSON.parse(message.content.toString()) as CloudEvent<{ name: string }>;
      messages.push({
        id: body.id,
        subject: body.subject,
        name: body.data.name,
        headers: message.properties.headers ?? {},
      });
    },
    { noAck: true },
  );
  return { messages, close: () => connection.close() };
}
