import type { ConfirmChannel, GetMessage } from 'amqplib';

import { HEADERS, isDeadLetterQueue, queueOfDeadLetterQueue } from './naming';
import { publishConfirmed } from './publish';

/** One dead-lettered message as an operator sees it. */
export interface DeadLetter {
  messageId?: string;
  type?: string;
  /** Why it was dead-lettered: handler_failed, invalid_payload, malformed, unknown_type, unhandled_type, or delivery_limit. */
  reason: string;
  error?: string;
  attempts?: number;
  failedAt?: string;
  /** The consumer queue it came from and goes back to on replay. */
  queue: string;
  /** The body, parsed when it is JSON. */
  body: unknown;
}

const CONFIRM_TIMEOUT_MS = 10_000;
const LIFECYCLE_HEADERS = [
  HEADERS.attempt,
  HEADERS.error,
  HEADERS.failedAt,
  HEADERS.failedQueue,
  HEADERS.reason,
];

function assertDeadLetterQueue(name: string): void {
  if (!isDeadLetterQueue(name))
    throw new Error(`"${name}" is not a dead-letter queue (<service>.<purpose>.dlq)`);
}

function header(message: GetMessage, name: string): string | undefined {
  const value = message.properties.headers?.[name] as unknown;
  return value === undefined || value === null ? undefined : String(value);
}

function describe(dlq: string, message: GetMessage): DeadLetter {
  const text = message.content.toString('utf8');
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // Shown as text: it was dead-lettered because it is not JSON.
  }
  // Dead-lettered by the broker itself (x-delivery-limit exceeded: the consumer crashed on it repeatedly).
  const reason =
    header(message, HEADERS.reason) ??
    (message.properties.headers?.['x-death'] ? 'delivery_limit' : 'unknown');
  const attempts = Number(header(message, HEADERS.attempt));
  return {
    messageId: message.properties.messageId as string | undefined,
    type: message.properties.type as string | undefined,
    reason,
    error: header(message, HEADERS.error),
    attempts: Number.isFinite(attempts) ? attempts : undefined,
    failedAt: header(message, HEADERS.failedAt),
    queue: header(message, HEADERS.failedQueue) ?? queueOfDeadLetterQueue(dlq),
    body,
  };
}

/**
 * What an operator does with a dead-letter queue: count, inspect (messages stay), replay into the consumer
 * queue with a fresh attempt count (each copy is confirmed before its original is removed), and purge.
 */
export class DeadLetterQueues {
  constructor(private readonly channel: ConfirmChannel) {}

  async count(dlq: string): Promise<number> {
    assertDeadLetterQueue(dlq);
    return (await this.channel.checkQueue(dlq)).messageCount;
  }

  /** Up to `limit` messages from the head of the queue; they are returned to it, untouched. */
  async inspect(dlq: string, limit = 10): Promise<DeadLetter[]> {
    assertDeadLetterQueue(dlq);
    const held: GetMessage[] = [];
    try {
      while (held.length < limit) {
        const message = await this.channel.get(dlq, { noAck: false });
        if (!message) break;
        held.push(message);
      }
      return held.map((message) => describe(dlq, message));
    } finally {
      for (const message of held) this.channel.nack(message, false, true);
    }
  }

  /** Moves up to `limit` messages (all by default) back to their consumer queue; returns how many moved. */
  async replay(dlq: string, limit = Number.POSITIVE_INFINITY): Promise<number> {
    assertDeadLetterQueue(dlq);
    let moved = 0;
    while (moved < limit) {
      const message = await this.channel.get(dlq, { noAck: false });
      if (!message) break;
      const target = header(message, HEADERS.failedQueue) ?? queueOfDeadLetterQueue(dlq);
      const headers = { ...(message.properties.headers ?? {}) };
      for (const name of [
        ...LIFECYCLE_HEADERS,
        'x-death',
        'x-first-death-exchange',
        'x-first-death-queue',
        'x-first-death-reason',
      ])
        delete headers[name];
      try {
        await publishConfirmed(
          this.channel,
          [
            {
              exchange: '',
              routingKey: target,
              body: message.content,
              properties: { ...message.properties, persistent: true, headers },
            },
          ],
          CONFIRM_TIMEOUT_MS,
        );
      } catch (error) {
        this.channel.nack(message, false, true);
        throw error;
      }
      this.channel.ack(message);
      moved += 1;
    }
    return moved;
  }

  /** Deletes every message in the queue; returns how many there were. */
  async purge(dlq: string): Promise<number> {
    assertDeadLetterQueue(dlq);
    return (await this.channel.purgeQueue(dlq)).messageCount;
  }
}
