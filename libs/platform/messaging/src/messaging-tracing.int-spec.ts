import { randomUUID } from 'node:crypto';

import { runWithRequestId } from '@emporium/platform/logging';
import { createTestDatabase, createTestVhost, TestDatabase, TestVhost } from '@emporium/platform/testing';
import { SpanKind, trace } from '@opentelemetry/api';
import { InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';

import {
  effects,
  eventually,
  Instance,
  migrate,
  productEvent,
  publishInTransaction,
  startInstance,
} from '../test/harness';

describe('trace context and request id across the broker', () => {
  const exporter = new InMemorySpanExporter();
  const provider = new NodeTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
  let db: TestDatabase;
  let vhost: TestVhost;
  let instance: Instance;

  beforeAll(async () => {
    provider.register();
    [db, vhost] = await Promise.all([createTestDatabase('msgtrace'), createTestVhost('msgtrace')]);
    await migrate(db.url);
    instance = await startInstance({ PG_URL: db.url, RMQ_URL: vhost.url, OUTBOX_POLL_MS: '200' });
  });

  afterAll(async () => {
    await instance?.close();
    await Promise.all([db?.drop(), vhost?.drop()]);
    await provider.shutdown();
    trace.disable();
  });

  it('links the publish and process spans to the request that wrote the event, and carries its request id', async () => {
    const subject = randomUUID();
    const tracer = trace.getTracer('test');
    const requestSpanId = await tracer.startActiveSpan(
      'PATCH /api/v1/products/:id',
      { kind: SpanKind.SERVER },
      async (span) => {
        await runWithRequestId('req-trace-1', () => publishInTransaction(instance, [productEvent(subject)]));
        span.end();
        return span.spanContext();
      },
    );
    await eventually(async () => (await effects(instance)).length === 1, 10_000, 'the effect');
    await eventually(
      () => exporter.getFinishedSpans().some((s) => s.kind === SpanKind.CONSUMER),
      5_000,
      'the process span',
    );

    const spans = exporter.getFinishedSpans();
    const publish = spans.find((s) => s.kind === SpanKind.PRODUCER);
    const process = spans.find((s) => s.kind === SpanKind.CONSUMER);
    expect(publish).toMatchObject({ name: 'publish product.created' });
    expect(process).toMatchObject({ name: 'process product.created' });
    expect(publish?.spanContext().traceId).toBe(requestSpanId.traceId);
    expect(publish?.parentSpanContext?.spanId).toBe(requestSpanId.spanId);
    expect(process?.spanContext().traceId).toBe(requestSpanId.traceId);
    expect(process?.parentSpanContext?.spanId).toBe(publish?.spanContext().spanId);
    expect(process?.attributes).toMatchObject({
      'messaging.system': 'rabbitmq',
      'messaging.destination.name': 'product.projection',
    });
    expect((await effects(instance))[0].request_id).toBe('req-trace-1');
  });
});
