import type { EventType } from '@emporium/contracts';
import { SERVICE_DESCRIPTOR, ServiceDescriptor } from '@emporium/platform/http';
import { currentRequestId } from '@emporium/platform/logging';
import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { context, propagation } from '@opentelemetry/api';
import { DataSource, EntityManager } from 'typeorm';

import { CloudEvent, createEnvelope, OutgoingEvent } from './envelope';
import { serviceSchema } from './messaging-tables.migration';
import { eventsExchange } from './naming';

/** The W3C trace context of the active span, as the propagator would put it on an outgoing message. */
export function activeTraceHeaders(): { traceparent?: string; tracestate?: string } {
  const carrier: Record<string, string> = {};
  propagation.inject(context.active(), carrier);
  return {
    ...(carrier.traceparent ? { traceparent: carrier.traceparent } : {}),
    ...(carrier.tracestate ? { tracestate: carrier.tracestate } : {}),
  };
}

/**
 * The only way a service publishes: `outbox.add(manager, event)` inside the transaction that makes the
 * change. The row commits or rolls back with the change, so a committed change is always published (by
 * the relay, even after a crash) and a rolled-back one never is.
 */
@Injectable()
export class Outbox {
  private readonly table: string;

  constructor(
    @Inject(SERVICE_DESCRIPTOR) private readonly service: ServiceDescriptor,
    @InjectDataSource() dataSource: DataSource,
  ) {
    const schema = serviceSchema(dataSource);
    this.table = `"${schema}".outbox`;
  }

  /** Validates the payload, wraps it in a CloudEvents envelope and writes it with the caller's manager. */
  async add<T extends EventType>(manager: EntityManager, event: OutgoingEvent<T>): Promise<CloudEvent> {
    const [envelope] = await this.addAll(manager, [event]);
    return envelope;
  }

  /** Several events in one statement; they are published in the order given. */
  async addAll(manager: EntityManager, events: readonly OutgoingEvent[]): Promise<CloudEvent[]> {
    if (!manager.queryRunner?.isTransactionActive)
      throw new Error('outbox.add needs the EntityManager of an open transaction (dataSource.transaction)');
    const trace = activeTraceHeaders();
    const requestId = currentRequestId();
    const envelopes = events.map((event) =>
      createEnvelope(event, { source: this.service.name, ...trace, requestId }),
    );
    if (envelopes.length === 0) return [];
    const values: unknown[] = [];
    const rows = envelopes.map((envelope) => {
      values.push(envelope.id, eventsExchange(envelope.source), envelope.type, envelope.subject, envelope);
      const n = values.length;
      return `($${n - 4}, $${n - 3}, $${n - 2}, $${n - 1}, $${n}::jsonb)`;
    });
    await manager.query(
      `INSERT INTO ${this.table} (id, exchange, routing_key, aggregate_id, envelope) VALUES ${rows.join(', ')}`,
      values,
    );
    return envelopes;
  }
}
