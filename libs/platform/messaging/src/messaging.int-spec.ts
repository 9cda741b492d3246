import { randomUUID } from 'node:crypto';

import { createTestDatabase, createTestVhost, TestDatabase, TestVhost } from '@emporium/platform/testing';
import { connect } from 'amqplib';

import {
  behaviour,
  effects,
  eventually,
  Instance,
  migrate,
  observe,
  productEvent,
  publishInTransaction,
  resetBehaviour,
  startInstance,
} from '../test/harness';
import { deadLetterCommand } from './dead-letter.command';
import { DeadLetterQueues } from './dead-letters';

const QUEUE = 'product.projection';
const DLQ = `${QUEUE}.dlq`;

describe('messaging against the real RabbitMQ and PostgreSQL', () => {
  let db: TestDatabase;
  let vhost: TestVhost;
  let env: Record<string, string>;
  let instance: Instance;

  beforeAll(async () => {
    [db, vhost] = await Promise.all([createTestDatabase('messaging'), createTestVhost('messaging')]);
    await migrate(db.url);
    env = {
      PG_URL: db.url,
      RMQ_URL: vhost.url,
      RMQ_RETRY_BASE_MS: '100',
      RMQ_MAX_ATTEMPTS: '3',
      OUTBOX_POLL_MS: '200',
      // Small batches, so concurrent batches interleave on the same aggregates (the ordering test).
      OUTBOX_BATCH_SIZE: '16',
    };
    instance = await startInstance(env);
  });

  afterAll(async () => {
    await instance?.close();
    await Promise.all([db?.drop(), vhost?.drop()]);
  });

  beforeEach(async () => {
    resetBehaviour();
    await instance.dataSource.query('TRUNCATE product.effects, product.inbox');
  });

  const dlqChannel = async () => {
    const connection = await connect(vhost.url);
    const channel = await connection.createConfirmChannel();
    return { dlq: new DeadLetterQueues(channel), close: () => connection.close() };
  };

  it('publishes a committed event and the consumer handles it once, with the request id carried', async () => {
    const subject = randomUUID();
    const [sent] = await instance.dataSource.transaction((manager) =>
      instance.outbox.addAll(manager, [productEvent(subject, 'Mug')]),
    );
    expect(sent).toMatchObject({
      specversion: '1.0',
      source: 'product',
      type: 'product.created',
      subject,
      datacontenttype: 'application/json',
    });
    await eventually(async () => (await effects(instance)).length === 1, 10_000, 'the effect');
    expect(await effects(instance)).toEqual([
      { event_id: sent.id, subject, name: 'Mug', attempt: 1, request_id: null },
    ]);
    const [{ sent_at }] = await instance.dataSource.query(
      'SELECT sent_at FROM product.outbox WHERE id = $1',
      [sent.id],
    );
    expect(sent_at).not.toBeNull();
  });

  it('publishes nothing for a rolled-back transaction', async () => {
    const observer = await observe(vhost.url);
    try {
      const subject = randomUUID();
      await expect(
        instance.dataSource.transaction(async (manager) => {
          await instance.outbox.add(manager, productEvent(subject));
          throw new Error('business rule failed');
        }),
      ).rejects.toThrow('business rule failed');
      // A later committed event is published: once it arrives, the rolled-back one would have too.
      const marker = randomUUID();
      await publishInTransaction(instance, [productEvent(marker)]);
      await eventually(() => observer.messages.some((m) => m.subject === marker), 10_000, 'the marker');
      expect(observer.messages.map((m) => m.subject)).not.toContain(subject);
      expect(
        await instance.dataSource.query('SELECT 1 FROM product.outbox WHERE aggregate_id = $1', [subject]),
      ).toEqual([]);
    } finally {
      await observer.close();
    }
  });

  it('refuses to write an event whose payload breaks its contract, or outside a transaction', async () => {
    const bad = productEvent(randomUUID());
    (bad.data as { price: unknown }).price = { amount: -1, currency: 'usd' };
    await expect(
      instance.dataSource.transaction((manager) => instance.outbox.add(manager, bad)),
    ).rejects.toThrow(/Invalid product.created event: price/);
    await expect(
      instance.outbox.add(instance.dataSource.manager, productEvent(randomUUID())),
    ).rejects.toThrow(/open transaction/);
  });

  it('acts once on the same event delivered twice', async () => {
    const observer = await observe(vhost.url);
    const subject = randomUUID();
    await publishInTransaction(instance, [productEvent(subject)]);
    await eventually(() => observer.messages.length === 1, 10_000, 'the publication');
    await eventually(async () => (await effects(instance)).length === 1, 10_000, 'the effect');
    // The same bytes again, as a redelivery after a lost ack would bring them.
    const [{ envelope }] = await instance.dataSource.query(
      'SELECT envelope::text AS envelope FROM product.outbox WHERE aggregate_id = $1',
      [subject],
    );
    const connection = await connect(vhost.url);
    const channel = await connection.createConfirmChannel();
    channel.publish('product.events', 'product.created', Buffer.from(envelope as string), {
      persistent: true,
    });
    channel.publish('product.events', 'product.created', Buffer.from(envelope as string), {
      persistent: true,
    });
    await channel.waitForConfirms();
    await eventually(() => observer.messages.length === 3, 10_000, 'the copies');
    await eventually(
      async () => (await channel.checkQueue(QUEUE)).messageCount === 0,
      10_000,
      'the queue to drain',
    );
    await connection.close();
    await observer.close();
    // Settled by the inbox: the handler ran once for three deliveries.
    const rows = await effects(instance);
    expect(rows).toHaveLength(1);
    expect(behaviour.calls).toBe(1);
  });

  it('retries a failing handler through the delay queues, then succeeds without duplicate effects', async () => {
    behaviour.failUntilAttempt = 2;
    const subject = randomUUID();
    await publishInTransaction(instance, [productEvent(subject)]);
    await eventually(async () => (await effects(instance)).length === 1, 15_000, 'the third attempt');
    // The failed attempts' effects rolled back with their transactions; only attempt 3 committed.
    expect((await effects(instance))[0]).toMatchObject({ subject, attempt: 3 });
    expect(behaviour.calls).toBe(3);
  });

  it('dead-letters a message that keeps failing, with the error recorded, and replays it', async () => {
    behaviour.failUntilAttempt = Number.POSITIVE_INFINITY;
    const subject = randomUUID();
    await publishInTransaction(instance, [productEvent(subject)]);
    const { dlq, close } = await dlqChannel();
    try {
      await eventually(async () => (await dlq.count(DLQ)) === 1, 15_000, 'the dead letter');
      expect(behaviour.calls).toBe(3);
      const [letter] = await dlq.inspect(DLQ);
      expect(letter).toMatchObject({
        type: 'product.created',
        reason: 'handler_failed',
        error: 'induced failure on attempt 3',
        attempts: 3,
        queue: QUEUE,
        body: expect.objectContaining({ subject }),
      });
      // Inspecting leaves it there; the delay queues it went through are in the broker's x-death record.
      expect(await dlq.count(DLQ)).toBe(1);
      expect(await effects(instance)).toEqual([]);

      behaviour.failUntilAttempt = 0;
      expect(await dlq.replay(DLQ)).toBe(1);
      await eventually(async () => (await effects(instance)).length === 1, 10_000, 'the replayed effect');
      expect((await effects(instance))[0]).toMatchObject({ subject, attempt: 1 });
      expect(await dlq.count(DLQ)).toBe(0);
    } finally {
      await close();
    }
  });

  it('gives operators `main.js dlq` to list, inspect, replay and purge dead letters', async () => {
    behaviour.failUntilAttempt = Number.POSITIVE_INFINITY;
    const [first, second] = [randomUUID(), randomUUID()];
    await publishInTransaction(instance, [productEvent(first), productEvent(second)]);
    const lines: string[] = [];
    const dlq = (...args: string[]) => deadLetterCommand(instance.app, args, (line) => lines.push(line));
    const output = () => lines.splice(0).map((line) => JSON.parse(line) as Record<string, unknown>);
    await eventually(
      async () => {
        await dlq('list');
        return output()[0]?.['messages'] === 2;
      },
      15_000,
      'two dead letters',
    );
    await dlq('inspect', QUEUE, '--limit', '1');
    expect(output()).toEqual([expect.objectContaining({ reason: 'handler_failed', queue: QUEUE })]);
    await expect(dlq('purge', DLQ)).rejects.toThrow(/--yes/);
    await expect(dlq('replay', 'product.unknown')).rejects.toThrow(/product\.projection/);

    behaviour.failUntilAttempt = 0;
    await dlq('replay', DLQ, '--limit', '1');
    expect(output()).toEqual([{ queue: DLQ, replayed: 1 }]);
    await eventually(async () => (await effects(instance)).length === 1, 10_000, 'the replayed effect');
    await dlq('purge', QUEUE, '--yes');
    expect(output()).toEqual([{ queue: DLQ, purged: 1 }]);
  });

  it('waits longer before each retry (exponential backoff through per-delay queues)', async () => {
    behaviour.failUntilAttempt = Number.POSITIVE_INFINITY;
    const subject = randomUUID();
    await publishInTransaction(instance, [productEvent(subject)]);
    const connection = await connect(vhost.url);
    const channel = await connection.createChannel();
    try {
      await eventually(
        async () => (await channel.checkQueue(DLQ)).messageCount === 1,
        15_000,
        'the dead letter',
      );
      const message = await channel.get(DLQ, { noAck: true });
      if (!message) throw new Error('no dead letter');
      const deaths = (message.properties.headers?.['x-death'] ?? []) as { queue: string; reason: string }[];
      expect(deaths.map((death) => [death.queue, death.reason]).sort()).toEqual([
        [`${QUEUE}.retry.100ms`, 'expired'],
        [`${QUEUE}.retry.200ms`, 'expired'],
      ]);
    } finally {
      await connection.close();
    }
  });

  it('dead-letters at once an event the domain refuses (a conflict), without retrying it', async () => {
    behaviour.refuse = true;
    await publishInTransaction(instance, [productEvent(randomUUID(), 'Taken name')]);
    const { dlq, close } = await dlqChannel();
    try {
      await eventually(async () => (await dlq.count(DLQ)) === 1, 10_000, 'the dead letter');
      const [letter] = await dlq.inspect(DLQ);
      expect(letter).toMatchObject({
        reason: 'rejected',
        error: 'NAME_TAKEN: Taken name is taken',
        attempts: 1,
      });
      expect(behaviour.calls).toBe(1);
      await dlq.purge(DLQ);
    } finally {
      await close();
    }
  });

  it('dead-letters an invalid payload at once, without calling the handler', async () => {
    const connection = await connect(vhost.url);
    const channel = await connection.createConfirmChannel();
    const bad = {
      specversion: '1.0',
      id: randomUUID(),
      source: 'product',
      type: 'product.created',
      time: new Date().toISOString(),
      subject: randomUUID(),
      datacontenttype: 'application/json',
      data: { productId: 'not-a-uuid', price: { amount: 'free' } },
    };
    channel.publish('product.events', 'product.created', Buffer.from(JSON.stringify(bad)), {
      persistent: true,
    });
    channel.publish('product.events', 'product.created', Buffer.from('{not json'), { persistent: true });
    await channel.waitForConfirms();
    const dlq = new DeadLetterQueues(channel);
    try {
      await eventually(async () => (await dlq.count(DLQ)) === 2, 10_000, 'two dead letters');
      const letters = await dlq.inspect(DLQ);
      expect(letters.map((letter) => [letter.reason, letter.attempts]).sort()).toEqual([
        ['invalid_payload', 1],
        ['malformed', 1],
      ]);
      expect(letters.find((letter) => letter.reason === 'invalid_payload')?.error).toMatch(/productId/);
      expect(behaviour.calls).toBe(0);
      expect(await dlq.purge(DLQ)).toBe(2);
    } finally {
      await connection.close();
    }
  });

  it('loses nothing when the broker drops every connection mid-stream', async () => {
    const subjects = Array.from({ length: 200 }, () => randomUUID());
    const writes = (async () => {
      for (let i = 0; i < subjects.length; i += 10)
        await publishInTransaction(
          instance,
          subjects.slice(i, i + 10).map((subject) => productEvent(subject)),
        );
    })();
    await eventually(async () => (await effects(instance)).length > 20, 10_000, 'the stream to start');
    await vhost.closeAllConnections();
    await writes;
    await eventually(async () => (await effects(instance)).length >= subjects.length, 30_000, 'every effect');
    const rows = await effects(instance);
    expect(new Set(rows.map((row) => row.subject))).toEqual(new Set(subjects));
    expect(rows).toHaveLength(subjects.length);
  });

  it('finishes the handlers in flight on shutdown and leaves the rest queued for the next start', async () => {
    const second = await startInstance(env);
    behaviour.delayMs = 150;
    const subjects = Array.from({ length: 40 }, () => randomUUID());
    await publishInTransaction(
      second,
      subjects.map((subject) => productEvent(subject)),
    );
    await instance.close();
    try {
      await eventually(async () => (await effects(second)).length >= 3, 10_000, 'handlers to be running');
      await second.close();
      behaviour.delayMs = 0;
      instance = await startInstance(env);
      await eventually(
        async () => (await effects(instance)).length >= subjects.length,
        20_000,
        'every effect',
      );
      const rows = await effects(instance);
      expect(rows).toHaveLength(subjects.length);
      expect(new Set(rows.map((row) => row.subject))).toEqual(new Set(subjects));
    } finally {
      await second.close().catch(() => undefined);
    }
  });

  it('publishes each row once with two relays running, in per-aggregate order', async () => {
    const second = await startInstance(env);
    const observer = await observe(vhost.url);
    try {
      const aggregates = Array.from({ length: 20 }, () => randomUUID());
      const perAggregate = 50;
      // Rounds written alternately through both instances while both relays publish. Writes to one
      // aggregate are sequential, as a service's writes to one aggregate are (its row lock serialises them).
      for (let round = 0; round < perAggregate; round += 1)
        await publishInTransaction(
          round % 2 === 0 ? instance : second,
          aggregates.map((subject) => productEvent(subject, `v${round}`, 'product.updated')),
        );
      const total = aggregates.length * perAggregate;
      await eventually(() => observer.messages.length >= total, 20_000, 'every publication');
      await eventually(async () => (await effects(instance)).length >= total, 20_000, 'every effect');
      const ids = observer.messages.map((message) => message.id);
      expect(ids).toHaveLength(total);
      expect(new Set(ids).size).toBe(total);
      // Per aggregate, the order of publication is the order the rows were written (outbox seq).
      const written = (await instance.dataSource.query(
        'SELECT id, aggregate_id FROM product.outbox ORDER BY seq',
      )) as { id: string; aggregate_id: string }[];
      for (const subject of aggregates) {
        const published = observer.messages.filter((m) => m.subject === subject).map((m) => m.id);
        const expected = written.filter((row) => row.aggregate_id === subject).map((row) => row.id);
        expect(published).toEqual(expected);
      }
    } finally {
      await observer.close();
      await second.close();
    }
  });
});
