import { EVENT_PAYLOADS, EventType } from '@emporium/contracts';
import { DomainError, DomainErrorKind, SERVICE_DESCRIPTOR, ServiceDescriptor } from '@emporium/platform/http';
import { acceptableRequestId, Logger, runWithRequestId } from '@emporium/platform/logging';
import { Inject, Injectable } from '@nestjs/common';
import { DiscoveryService } from '@nestjs/core';
import { InjectDataSource } from '@nestjs/typeorm';
import { context, propagation, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import type { ChannelModel, ConfirmChannel, ConsumeMessage } from 'amqplib';
import { DataSource } from 'typeorm';

import { BrokerConnection } from './broker';
import {
  EVENT_HANDLERS,
  EventHandlerMetadata,
  EventHandlerMethod,
  HandlerContext,
  MESSAGE_CONSUMER,
} from './decorators';
import { CloudEvent, parseEnvelope } from './envelope';
import { RmqEnv } from './messaging.env';
import { MessagingMetrics } from './messaging.metrics';
import { serviceSchema } from './messaging-tables.migration';
import { consumerQueue, deadLetterQueue, eventsExchange, HEADERS, retryDelayMs, retryQueue } from './naming';
import { publishConfirmed } from './publish';
import { declareConsumerQueue } from './topology';

type Handler = (event: CloudEvent<unknown>, context: HandlerContext) => Promise<void>;

interface ConsumerSpec {
  queue: string;
  handlers: Map<string, Handler>;
}

interface ActiveConsumer {
  channel: ConfirmChannel;
  consumerTag: string;
}

const REPUBLISH_TIMEOUT_MS = 10_000;
const MAX_ERROR_HEADER = 1_000;
const tracer = trace.getTracer('@emporium/platform/messaging');

/**
 * Runs the `@OnEvent` handlers of every `@MessageConsumer` provider. Each consumer queue gets its own
 * confirm channel (so prefetch applies per queue, and retries are published and confirmed on the channel
 * the message came from). A delivery is handled in a transaction that first inserts its id into the inbox:
 * a duplicate finds the id and is acknowledged untouched. The ack is sent only after the commit. A handler
 * failure sends a copy to the delay queue of its attempt (after the broker confirms it, the original is
 * acknowledged); the last attempt, an unknown type or an invalid payload goes to the dead-letter queue with
 * the reason in its headers. Nothing is acknowledged before it is safe somewhere else.
 */
@Injectable()
export class ConsumerHost {
  private readonly specs: ConsumerSpec[] = [];
  private readonly active = new Map<string, ActiveConsumer>();
  private readonly inFlight = new Set<Promise<void>>();
  private readonly inbox: string;
  private stopping = false;
  private discovered = false;

  constructor(
    private readonly discovery: DiscoveryService,
    private readonly broker: BrokerConnection,
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(SERVICE_DESCRIPTOR) private readonly service: ServiceDescriptor,
    private readonly env: RmqEnv,
    private readonly metrics: MessagingMetrics,
    private readonly logger: Logger,
  ) {
    const schema = serviceSchema(dataSource);
    this.inbox = `"${schema}".inbox`;
  }

  /** Registers the queues' declaration and consumption on every connection. */
  register(): void {
    this.discover();
    for (const spec of this.specs) this.broker.onConnect((model) => this.startConsumer(model, spec));
  }

  /** The consumer queues of this service, `<service>.<purpose>`. */
  get queues(): string[] {
    this.discover();
    return this.specs.map((spec) => spec.queue);
  }

  /** Finds the `@MessageConsumer` providers and their `@OnEvent` handlers (once). */
  private discover(): void {
    if (this.discovered) return;
    this.discovered = true;
    for (const wrapper of this.discovery.getProviders()) {
      const instance = wrapper.instance as Record<string | symbol, unknown> | undefined;
      const type = wrapper.metatype as object | undefined;
      if (!instance || !type || wrapper.isNotMetatype) continue;
      const purpose = Reflect.getMetadata(MESSAGE_CONSUMER, type) as string | undefined;
      if (!purpose) continue;
      const queue = consumerQueue(this.service.name, purpose);
      if (this.specs.some((spec) => spec.queue === queue))
        throw new Error(`Two consumers declare the queue ${queue}`);
      const handlers = new Map<string, Handler>();
      for (const { type: eventType, method } of (Reflect.getMetadata(EVENT_HANDLERS, type) ??
        []) as EventHandlerMetadata[]) {
        if (handlers.has(eventType)) throw new Error(`${queue} has two handlers for ${eventType}`);
        const fn = instance[method] as EventHandlerMethod<EventType>;
        handlers.set(eventType, (event, ctx) => fn.call(instance, event as never, ctx));
      }
      if (handlers.size === 0)
        throw new Error(`${wrapper.name} is a @MessageConsumer without @OnEvent handlers`);
      this.specs.push({ queue, handlers });
    }
  }

  /** Stops taking messages, waits for the handlers in flight, closes the consumer channels. */
  async stop(timeoutMs = 5_000): Promise<void> {
    this.stopping = true;
    await Promise.all(
      [...this.active.values()].map(({ channel, consumerTag }) =>
        channel.cancel(consumerTag).catch(() => undefined),
      ),
    );
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), timeoutMs);
    });
    const outcome = await Promise.race([
      Promise.allSettled([...this.inFlight]).then(() => 'done' as const),
      timeout,
    ]);
    clearTimeout(timer);
    if (outcome === 'timeout')
      this.logger.warn(
        `${this.inFlight.size} message handlers still running after ${timeoutMs} ms; they will be redelivered`,
      );
    // Closing a channel returns its unacknowledged messages to their queue.
    await Promise.all([...this.active.values()].map(({ channel }) => channel.close().catch(() => undefined)));
    this.active.clear();
  }

  private async startConsumer(model: ChannelModel, spec: ConsumerSpec): Promise<void> {
    if (this.stopping) return;
    const channel = await model.createConfirmChannel();
    this.broker.watch(channel, spec.queue);
    await declareConsumerQueue(channel, {
      queue: spec.queue,
      bindings: [...spec.handlers.keys()].map((type) => ({
        exchange: eventsExchange(EVENT_PAYLOADS[type as EventType].source),
        routingKey: type,
      })),
      retryDelaysMs: this.retryDelays(),
    });
    await channel.prefetch(this.env.RMQ_PREFETCH);
    const { consumerTag } = await channel.consume(
      spec.queue,
      (message) => {
        if (message) this.track(this.onMessage(channel, spec, message));
      },
      { noAck: false },
    );
    channel.on('close', () => {
      if (this.active.get(spec.queue)?.channel === channel) this.active.delete(spec.queue);
    });
    this.active.set(spec.queue, { channel, consumerTag });
  }

  private retryDelays(): number[] {
    return Array.from({ length: this.env.RMQ_MAX_ATTEMPTS - 1 }, (_, i) =>
      retryDelayMs(this.env.RMQ_RETRY_BASE_MS, i + 1),
    );
  }

  private track(work: Promise<void>): void {
    this.inFlight.add(work);
    void work.finally(() => this.inFlight.delete(work));
  }

  private async onMessage(
    channel: ConfirmChannel,
    spec: ConsumerSpec,
    message: ConsumeMessage,
  ): Promise<void> {
    if (this.stopping) {
      // Arrived between cancel and close: back to the queue for another replica or the next start.
      settle(() => channel.nack(message, false, true));
      return;
    }
    const labels = { queue: spec.queue, type: 'unknown' };
    const parsed = parseEnvelope(message.content);
    if (!parsed.ok) {
      await this.deadLetter(channel, spec.queue, message, parsed.reason, parsed.detail, labels);
      return;
    }
    const event = parsed.event;
    labels.type = event.type;
    const handler = spec.handlers.get(event.type);
    if (!handler) {
      await this.deadLetter(
        channel,
        spec.queue,
        message,
        'unhandled_type',
        `${spec.queue} has no handler for ${event.type}`,
        labels,
      );
      return;
    }
    const attempt = attemptOf(message);
    const timer = this.metrics.handlerDuration.startTimer(labels);
    const parent = propagation.extract(context.active(), message.properties.headers ?? {});
    const span = tracer.startSpan(
      `process ${event.type}`,
      {
        kind: SpanKind.CONSUMER,
        attributes: {
          'messaging.system': 'rabbitmq',
          'messaging.operation.type': 'process',
          'messaging.destination.name': spec.queue,
          'messaging.message.id': event.id,
          'messaging.rabbitmq.destination.routing_key': event.type,
        },
      },
      parent,
    );
    const requestId =
      acceptableRequestId(message.properties.headers?.[HEADERS.requestId]) ??
      acceptableRequestId(event.requestid) ??
      event.id;
    try {
      const outcome = await runWithRequestId(requestId, () =>
        context.with(trace.setSpan(parent, span), () => this.handle(spec.queue, handler, event, attempt)),
      );
      settle(() => channel.ack(message));
      this.metrics.consumed.inc({ ...labels, outcome });
    } catch (error) {
      span.recordException(error as Error);
      span.setStatus({ code: SpanStatusCode.ERROR });
      this.metrics.consumed.inc({ ...labels, outcome: 'failed' });
      await this.retryOrDeadLetter(channel, spec.queue, message, attempt, error as Error, labels);
    } finally {
      span.end();
      timer();
    }
  }

  /** The handler and the inbox row in one transaction; 'duplicate' when the id was already there. */
  private async handle(
    queue: string,
    handler: Handler,
    event: CloudEvent<unknown>,
    attempt: number,
  ): Promise<'processed' | 'duplicate'> {
    return this.dataSource.transaction(async (manager) => {
      const inserted = (await manager.query(
        `INSERT INTO ${this.inbox} (consumer, event_id, event_type) VALUES ($1, $2, $3)
         ON CONFLICT DO NOTHING RETURNING event_id`,
        [queue, event.id, event.type],
      )) as unknown[];
      if (inserted.length === 0) return 'duplicate';
      await handler(event, { manager, attempt, queue });
      return 'processed';
    });
  }

  private async retryOrDeadLetter(
    channel: ConfirmChannel,
    queue: string,
    message: ConsumeMessage,
    attempt: number,
    error: Error,
    labels: { queue: string; type: string },
  ): Promise<void> {
    if (isPermanent(error)) {
      // The domain refused the event (a conflict, an invalid request): another attempt would refuse it too.
      await this.deadLetter(
        channel,
        queue,
        message,
        'rejected',
        `${error.code}: ${error.message}`,
        labels,
        attempt,
      );
      return;
    }
    if (attempt >= this.env.RMQ_MAX_ATTEMPTS) {
      await this.deadLetter(channel, queue, message, 'handler_failed', error.message, labels, attempt);
      return;
    }
    const delay = retryDelayMs(this.env.RMQ_RETRY_BASE_MS, attempt);
    this.logger.warn(
      `Handling ${labels.type} ${message.properties.messageId ?? ''} on ${queue} failed (attempt ${attempt} of ${this.env.RMQ_MAX_ATTEMPTS}), retrying in ${delay} ms: ${error.message}`,
    );
    const moved = await this.republish(channel, retryQueue(queue, delay), message, {
      [HEADERS.attempt]: attempt + 1,
      [HEADERS.error]: truncate(error.message),
    });
    if (moved) this.metrics.retried.inc(labels);
  }

  private async deadLetter(
    channel: ConfirmChannel,
    queue: string,
    message: ConsumeMessage,
    reason: string,
    detail: string,
    labels: { queue: string; type: string },
    attempt = attemptOf(message),
  ): Promise<void> {
    this.logger.error(`Dead-lettering a ${labels.type} message from ${queue} (${reason}): ${detail}`);
    const moved = await this.republish(channel, deadLetterQueue(queue), message, {
      [HEADERS.reason]: reason,
      [HEADERS.error]: truncate(detail),
      [HEADERS.failedAt]: new Date().toISOString(),
      [HEADERS.failedQueue]: queue,
      [HEADERS.attempt]: attempt,
    });
    if (moved) {
      this.metrics.deadLettered.inc({ ...labels, reason });
      if (reason !== 'handler_failed') this.metrics.consumed.inc({ ...labels, outcome: 'invalid' });
    }
  }

  /**
   * Publishes a copy (same body and properties, extra headers) to a queue through the default exchange,
   * waits for the broker's confirm, then acknowledges the original. If the copy is not confirmed, the
   * original is returned to its queue instead, so it is never lost either way.
   */
  private async republish(
    channel: ConfirmChannel,
    target: string,
    message: ConsumeMessage,
    headers: Record<string, unknown>,
  ): Promise<boolean> {
    try {
      await publishConfirmed(
        channel,
        [
          {
            exchange: '',
            routingKey: target,
            body: message.content,
            properties: {
              ...message.properties,
              persistent: true,
              headers: { ...(message.properties.headers ?? {}), ...headers },
            },
          },
        ],
        REPUBLISH_TIMEOUT_MS,
      );
      settle(() => channel.ack(message));
      return true;
    } catch (error) {
      this.logger.warn(
        `Could not move a message to ${target}; it goes back to its queue: ${(error as Error).message}`,
      );
      settle(() => channel.nack(message, false, true));
      return false;
    }
  }
}

/**
 * Refusals no retry can change. `not_found` and `precondition` are retried: with events arriving out of
 * order across services, what is missing now may exist a moment later.
 */
const PERMANENT_KINDS: ReadonlySet<DomainErrorKind> = new Set([
  'bad_request',
  'invalid',
  'conflict',
  'forbidden',
]);

function isPermanent(error: Error): error is DomainError {
  return error instanceof DomainError && PERMANENT_KINDS.has(error.kind);
}

function attemptOf(message: ConsumeMessage): number {
  const value = Number(message.properties.headers?.[HEADERS.attempt]);
  return Number.isInteger(value) && value >= 1 ? value : 1;
}

function truncate(text: string): string {
  return text.length > MAX_ERROR_HEADER ? `${text.slice(0, MAX_ERROR_HEADER)}…` : text;
}

/** Acks and nacks on a channel that has closed throw; the broker redelivers those messages anyway. */
function settle(action: () => void): void {
  try {
    action();
  } catch {
    // The channel is gone; the message returns to the queue.
  }
}
