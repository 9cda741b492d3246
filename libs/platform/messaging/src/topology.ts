import type { Channel } from 'amqplib';

import { commandsExchange, deadLetterQueue, eventsExchange, retryQueue } from './naming';

/**
 * Quorum queues throughout (ADR 0006): replicated, durable, with at-least-once dead-lettering and a
 * delivery limit that stops a message which crashes its consumer from being redelivered forever.
 */
const quorum = (extra: Record<string, unknown> = {}): Record<string, unknown> => ({
  'x-queue-type': 'quorum',
  ...extra,
});

/** Redeliveries (consumer crashes, channel losses) after which the broker itself dead-letters a message. */
export const DELIVERY_LIMIT = 20;

/** The exchanges a service owns; declared by the owner at start-up and, idempotently, by its consumers. */
export async function declareServiceExchanges(channel: Channel, service: string): Promise<void> {
  await channel.assertExchange(eventsExchange(service), 'topic', { durable: true });
  await channel.assertExchange(commandsExchange(service), 'topic', { durable: true });
}

export interface ConsumerQueueTopology {
  queue: string;
  /** Exchange and routing key (event type) pairs the queue receives. */
  bindings: { exchange: string; routingKey: string }[];
  /** Delay before retry n+1, for n = 1..maxAttempts-1. */
  retryDelaysMs: number[];
}

/**
 * A consumer queue with its dead-letter queue and its delay queues. A delay queue holds a failed message
 * for its TTL, then dead-letters it back into the consumer queue through the default exchange. One queue
 * per delay, not a per-message TTL: expiry only happens at a queue's head, so mixed delays in one queue
 * would hold short ones behind long ones.
 */
export async function declareConsumerQueue(channel: Channel, topology: ConsumerQueueTopology): Promise<void> {
  const dlq = deadLetterQueue(topology.queue);
  await channel.assertQueue(dlq, { durable: true, arguments: quorum() });
  await channel.assertQueue(topology.queue, {
    durable: true,
    arguments: quorum({
      'x-delivery-limit': DELIVERY_LIMIT,
      'x-dead-letter-exchange': '',
      'x-dead-letter-routing-key': dlq,
      'x-dead-letter-strategy': 'at-least-once',
      'x-overflow': 'reject-publish',
    }),
  });
  for (const delay of topology.retryDelaysMs)
    await channel.assertQueue(retryQueue(topology.queue, delay), {
      durable: true,
      arguments: quorum({
        'x-message-ttl': delay,
        'x-dead-letter-exchange': '',
        'x-dead-letter-routing-key': topology.queue,
        'x-dead-letter-strategy': 'at-least-once',
        'x-overflow': 'reject-publish',
      }),
    });
  for (const { exchange, routingKey } of topology.bindings) {
    await channel.assertExchange(exchange, 'topic', { durable: true });
    await channel.bindQueue(topology.queue, exchange, routingKey);
  }
}
