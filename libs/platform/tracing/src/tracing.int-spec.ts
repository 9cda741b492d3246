import { randomBytes } from 'node:crypto';

import { OtlpReceiver, ReceivedSpan, SPAN_KIND } from '../test/otlp-receiver';
import { TracedService } from '../test/traced-service';
import { startTracing } from './tracing';

const PG_URL = process.env['TEST_PG_ADMIN_URL'] ?? 'postgres://postgres@127.0.0.1:5432/postgres';

/** Follows parent links up from a span; the chain ends at a root or at a parent outside this process. */
function ancestorsOf(span: ReceivedSpan, spans: ReceivedSpan[]): ReceivedSpan[] {
  const chain: ReceivedSpan[] = [];
  let current = spans.find((candidate) => candidate.spanId === span.parentSpanId);
  while (current) {
    chain.push(current);
    const parentId = current.parentSpanId;
    current = spans.find((candidate) => candidate.spanId === parentId);
  }
  return chain;
}

describe(startTracing.name, () => {
  const incoming = { traceId: randomBytes(16).toString('hex'), spanId: randomBytes(8).toString('hex') };
  let receiver: OtlpReceiver;
  let spans: ReceivedSpan[];
  let exitCode: number | null;

  const serverSpanFor = (path: string): ReceivedSpan | undefined =>
    spans.find((span) => span.kind === SPAN_KIND.SERVER && span.attributes['url.path'] === path);

  beforeAll(async () => {
    receiver = await OtlpReceiver.start();
    const sut = await TracedService.start({
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
      PG_URL,
    });
    let stopped = false;
    try {
      for (const [path, headers] of [
        ['/items/42', {}],
        ['/items/7', { traceparent: `00-${incoming.traceId}-${incoming.spanId}-01` }],
        ['/health/live', {}],
        ['/metrics', {}],
        ['/nowhere', {}],
      ] as const) {
        const response = await fetch(`${sut.url}${path}`, { headers });
        await response.arrayBuffer();
      }
      // Spans still queued in the batch processor reach the collector only if shutdown flushes them.
      ({ exitCode } = await sut.stop());
      stopped = true;
    } finally {
      if (!stopped) await sut.stop();
    }
    spans = receiver.spans;
  });

  afterAll(async () => {
    await receiver?.close();
  });

  it('exports over OTLP/HTTP JSON and flushes on shutdown', () => {
    expect(exitCode).toBe(0);
    expect(receiver.requests.length).toBeGreaterThan(0);
    expect(
      receiver.requests.every((r) => r.path === '/v1/traces' && r.contentType === 'application/json'),
    ).toBe(true);
  });

  it('records a request as a server span named after its route, with the pg query as a descendant', () => {
    const server = serverSpanFor('/items/42');
    expect(server).toMatchObject({
      name: 'GET /items/:id',
      attributes: expect.objectContaining({ 'http.route': '/items/:id', 'http.response.status_code': 200 }),
    });
    expect(server?.parentSpanId).toBeUndefined();

    const queries = spans.filter(
      (span) => span.scope.includes('instrumentation-pg') && span.traceId === server?.traceId,
    );
    expect(queries).toHaveLength(1);
    expect(queries[0]).toMatchObject({
      kind: SPAN_KIND.CLIENT,
      attributes: expect.objectContaining({ 'db.query.text': 'SELECT $1::text AS id' }),
    });
    expect(ancestorsOf(queries[0], spans)).toContainEqual(server);
  });

  it('traces the Nest controller call between the two', () => {
    const server = serverSpanFor('/items/42');
    const nest = spans.filter(
      (span) => span.scope.includes('nestjs-core') && span.traceId === server?.traceId,
    );

    expect(nest.map((span) => span.name).sort()).toEqual(['ItemsController.item', 'item']);
  });

  it('continues the trace of an incoming traceparent header', () => {
    const server = serverSpanFor('/items/7');

    expect(server).toMatchObject({ traceId: incoming.traceId, parentSpanId: incoming.spanId });
    expect(
      spans.some((span) => span.scope.includes('instrumentation-pg') && span.traceId === incoming.traceId),
    ).toBe(true);
  });

  it('does not trace health probes, metrics scrapes or their queries', () => {
    const paths = spans.map((span) => span.attributes['url.path']);

    expect(paths).not.toContain('/health/live');
    expect(paths).not.toContain('/metrics');
    // Suppressed, not merely unsampled: the Nest instrumentation would otherwise start a trace of its own.
    const names = spans.map((span) => span.name);
    expect(names).not.toContain('ItemsController.live');
    expect(names).not.toContain('ItemsController.metrics');
    const probeQueries = spans.filter(
      (span) => span.scope.includes('instrumentation-pg') && span.attributes['db.query.text'] === 'SELECT 1',
    );
    expect(probeQueries).toEqual([]);
  });

  it('leaves unmatched routes unnamed', () => {
    expect(serverSpanFor('/nowhere')).toMatchObject({ name: 'GET' });
  });

  it('starts no trace for queries outside a request', () => {
    const rootQueries = spans.filter(
      (span) => span.scope.includes('instrumentation-pg') && !span.parentSpanId,
    );

    expect(rootQueries).toEqual([]);
  });

  it('describes the service in the resource', () => {
    expect(spans[0].resource).toMatchObject({
      'service.name': 'traced-fixture',
      'service.version': '1.2.3',
      'service.instance.id': expect.stringMatching(/^[0-9a-f-]{36}$/),
    });
  });
});
