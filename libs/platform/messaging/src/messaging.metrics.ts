import { MetricsService } from '@emporium/platform/metrics';
import { Injectable } from '@nestjs/common';
import type { Counter, Gauge, Histogram } from 'prom-client';

/** Broker metrics of a service. `type` labels are contract event types, so their set stays bounded. */
@Injectable()
export class MessagingMetrics {
  readonly published: Counter<'type'>;
  readonly consumed: Counter<'queue' | 'type' | 'outcome'>;
  readonly retried: Counter<'queue' | 'type'>;
  readonly deadLettered: Counter<'queue' | 'type' | 'reason'>;
  readonly handlerDuration: Histogram<'queue' | 'type'>;
  readonly outboxBacklog: Gauge;
  readonly outboxOldestAge: Gauge;

  constructor(metrics: MetricsService) {
    this.published = metrics.counter({
      name: 'messages_published_total',
      help: 'Outbox messages published and confirmed by the broker, by type.',
      labelNames: ['type'],
    });
    this.consumed = metrics.counter({
      name: 'messages_consumed_total',
      help: 'Messages taken from a queue, by outcome (processed, duplicate, failed, invalid).',
      labelNames: ['queue', 'type', 'outcome'],
    });
    this.retried = metrics.counter({
      name: 'messages_retried_total',
      help: 'Failed messages sent to a delay queue for another attempt.',
      labelNames: ['queue', 'type'],
    });
    this.deadLettered = metrics.counter({
      name: 'messages_dead_lettered_total',
      help: 'Messages moved to a dead-letter queue, by reason.',
      labelNames: ['queue', 'type', 'reason'],
    });
    this.handlerDuration = metrics.histogram({
      name: 'message_handler_duration_seconds',
      help: 'Time to handle one message, transaction and acknowledgement included.',
      labelNames: ['queue', 'type'],
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    });
    this.outboxBacklog = metrics.gauge({
      name: 'outbox_backlog_messages',
      help: 'Outbox rows committed but not yet published.',
    });
    this.outboxOldestAge = metrics.gauge({
      name: 'outbox_oldest_unsent_age_seconds',
      help: 'Age of the oldest unpublished outbox row (0 when none).',
    });
  }
}
