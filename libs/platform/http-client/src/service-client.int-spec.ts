import { request as httpRequest } from 'node:http';

import { ConsulDiscovery, createConsulClient } from '@emporium/platform/discovery';
import { DeadlineExceededError, REQUEST_TIMEOUT_HEADER, runWithDeadline } from '@emporium/platform/http';
import { ConsulDouble } from '@emporium/platform/testing';
import { context, propagation, trace } from '@opentelemetry/api';
import { InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { CircuitState } from 'cockatiel';

import { testClients } from '../test/clients';
import { Behaviour, FakeUpstream, RecordedRequest, waitFor } from '../test/upstream';
import {
  NoHealthyInstanceError,
  UpstreamCircuitOpenError,
  UpstreamRejectedError,
  UpstreamTimeoutError,
  UpstreamUnavailableError,
} from './upstream-errors';

const upstreams: FakeUpstream[] = [];

async function upstream(behaviour?: (request: RecordedRequest) => Behaviour): Promise<FakeUpstream> {
  const started = await FakeUpstream.start(behaviour);
  upstreams.push(started);
  return started;
}

afterEach(async () => {
  for (const started of upstreams.splice(0)) await started.close();
});

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => {
      throw new Error('expected the call to fail');
    },
    (error: unknown) => error,
  );
}

describe('ServiceClient against one instance', () => {
  it('returns the JSON body and sends the request id, the remaining budget and the body', async () => {
    const product = await upstream(() => ({ status: 201, body: { id: 'p1' } }));
    const { clients } = testClients({}, { product: product.url });
    const sut = clients.for('product');

    await expect(
      sut.post('/api/v1/things', { name: 'x' }, { query: { a: 1, b: undefined } }),
    ).resolves.toEqual({
      id: 'p1',
    });
    const [seen] = product.requests;
    expect(seen).toMatchObject({ method: 'POST', url: '/api/v1/things?a=1', body: '{"name":"x"}' });
    expect(seen.headers['content-type']).toBe('application/json');
    expect(seen.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    const budget = Number(seen.headers[REQUEST_TIMEOUT_HEADER]);
    expect(budget).toBeGreaterThan(0);
    expect(budget).toBeLessThanOrEqual(1000);
    expect(seen.headers['authorization']).toBeUndefined();
  });

  it('forwards the authorization and idempotency key only when asked', async () => {
    const product = await upstream();
    const { clients } = testClients({}, { product: product.url });
    await clients.for('product').get('/x', { authorization: 'Bearer abc', idempotencyKey: 'k-1' });
    expect(product.requests[0].headers).toMatchObject({
      authorization: 'Bearer abc',
      'idempotency-key': 'k-1',
    });
  });

  it('passes a 4xx problem on without retrying it or counting it against the target', async () => {
    const product = await upstream(() => ({
      status: 404,
      body: { status: 404, code: 'PRODUCT_NOT_FOUND', detail: 'No product with this id' },
    }));
    const { clients } = testClients({ HTTP_CLIENT_BREAKER_THRESHOLD: '1' }, { product: product.url });
    const sut = clients.for('product');

    const error = await rejection(sut.get('/api/v1/products/1'));
    expect(error).toBeInstanceOf(UpstreamRejectedError);
    expect(error).toMatchObject({ status: 404, code: 'PRODUCT_NOT_FOUND', kind: 'not_found' });
    await expect(sut.request({ method: 'GET', path: '/api/v1/products/1' })).resolves.toMatchObject({
      status: 404,
    });
    expect(product.requests).toHaveLength(2);
    expect(sut.circuitState).toBe(CircuitState.Closed);
  });

  it('retries an idempotent request on a 503 and succeeds', async () => {
    let calls = 0;
    const product = await upstream(() =>
      ++calls === 1 ? { status: 503 } : { status: 200, body: { ok: 1 } },
    );
    const { clients, metrics } = testClients({}, { product: product.url });
    const response = await clients.for('product').request({ method: 'GET', path: '/x' });
    expect(response).toMatchObject({ status: 200, body: { ok: 1 }, attempts: 2 });
    expect(new Set(product.requests.map((r) => r.headers['x-request-id'])).size).toBe(1);
    expect(await metrics.exposition()).toMatch(
      /emporium_upstream_retries_total\{target="product",method="GET"} 1/,
    );
  });

  it('never retries a POST without an idempotency key', async () => {
    const product = await upstream(() => ({ status: 503 }));
    const { clients } = testClients({}, { product: product.url });
    const error = await rejection(clients.for('product').post('/api/v1/orders', { items: [] }));
    expect(error).toBeInstanceOf(UpstreamUnavailableError);
    expect(error).toMatchObject({ code: 'UPSTREAM_UNAVAILABLE', kind: 'unavailable' });
    expect(product.requests).toHaveLength(1);
  });

  it('never retries a POST whose connection dropped, without an idempotency key', async () => {
    const product = await upstream(() => ({ drop: true }));
    const { clients } = testClients({}, { product: product.url });
    await expect(clients.for('product').post('/api/v1/orders', {})).rejects.toBeInstanceOf(
      UpstreamUnavailableError,
    );
    expect(product.requests).toHaveLength(1);
  });

  it('retries a POST that carries an idempotency key, with the same key', async () => {
    let calls = 0;
    const product = await upstream(() =>
      ++calls < 3 ? { status: 502 } : { status: 202, body: { accepted: true } },
    );
    const { clients } = testClients({}, { product: product.url });
    await expect(
      clients.for('product').post('/api/v1/orders', {}, { idempotencyKey: 'order-42' }),
    ).resolves.toEqual({ accepted: true });
    expect(product.requests.map((r) => r.headers['idempotency-key'])).toEqual([
      'order-42',
      'order-42',
      'order-42',
    ]);
  });

  it('does not retry a 500, which a retry would most likely repeat', async () => {
    const product = await upstream(() => ({ status: 500 }));
    const { clients } = testClients({}, { product: product.url });
    await expect(clients.for('product').get('/x')).rejects.toBeInstanceOf(UpstreamUnavailableError);
    expect(product.requests).toHaveLength(1);
  });

  it('stops retrying when the retry budget is spent', async () => {
    const product = await upstream(() => ({ status: 503 }));
    const { clients } = testClients(
      { HTTP_CLIENT_RETRY_BUDGET_RATIO: '0', HTTP_CLIENT_RETRY_BUDGET_MIN_PER_SECOND: '0' },
      { product: product.url },
    );
    await expect(clients.for('product').get('/x')).rejects.toBeInstanceOf(UpstreamUnavailableError);
    expect(product.requests).toHaveLength(1);
  });

  it('gives each attempt its timeout, retries, and answers 504 when every attempt times out', async () => {
    const product = await upstream(() => ({ hang: true }));
    const { clients } = testClients(
      { HTTP_CLIENT_ATTEMPT_TIMEOUT_MS: '100', HTTP_CLIENT_MAX_ATTEMPTS: '2' },
      { product: product.url },
    );
    const error = await rejection(clients.for('product').get('/x'));
    expect(error).toBeInstanceOf(UpstreamTimeoutError);
    expect(error).toMatchObject({ code: 'UPSTREAM_TIMEOUT', kind: 'timeout' });
    expect(product.requests).toHaveLength(2);
  });

  it('answers 504 DEADLINE_EXCEEDED when the call budget runs out, and tells the callee its budget', async () => {
    const product = await upstream(() => ({ status: 200, body: {}, delayMs: 2_000 }));
    const { clients } = testClients({}, { product: product.url });
    const error = await rejection(clients.for('product').get('/x', { timeoutMs: 150 }));
    expect(error).toBeInstanceOf(DeadlineExceededError);
    expect(error).toMatchObject({ code: 'DEADLINE_EXCEEDED', kind: 'timeout' });
    expect(Number(product.requests[0].headers[REQUEST_TIMEOUT_HEADER])).toBeLessThanOrEqual(150);
  });

  it('carries the deadline of the work being served on to the call', async () => {
    const product = await upstream();
    const { clients } = testClients({}, { product: product.url });
    await runWithDeadline(250, () => clients.for('product').get('/x'));
    const budget = Number(product.requests[0].headers[REQUEST_TIMEOUT_HEADER]);
    expect(budget).toBeGreaterThan(0);
    expect(budget).toBeLessThanOrEqual(250);
  });

  it("rejects with the caller's reason when it cancels, without counting it against the target", async () => {
    const product = await upstream(() => ({ hang: true }));
    const { clients } = testClients({ HTTP_CLIENT_BREAKER_THRESHOLD: '1' }, { product: product.url });
    const sut = clients.for('product');
    const controller = new AbortController();
    const call = sut.get('/x', { signal: controller.signal });
    await waitFor(() => product.requests.length === 1, 'the request is in flight');
    controller.abort(new Error('caller gave up'));
    await expect(call).rejects.toThrow('caller gave up');
    expect(sut.circuitState).toBe(CircuitState.Closed);
  });

  it('opens the circuit after consecutive failures, fails fast, half-opens, and closes on success', async () => {
    let healthy = false;
    const product = await upstream(() => (healthy ? { status: 200, body: { ok: 1 } } : { status: 503 }));
    const { clients, metrics } = testClients(
      { HTTP_CLIENT_BREAKER_THRESHOLD: '3', HTTP_CLIENT_MAX_ATTEMPTS: '1' },
      { product: product.url },
    );
    const sut = clients.for('product');
    for (let i = 0; i < 3; i++) await expect(sut.get('/x')).rejects.toBeInstanceOf(UpstreamUnavailableError);
    expect(sut.circuitState).toBe(CircuitState.Open);

    const error = await rejection(sut.get('/x'));
    expect(error).toBeInstanceOf(UpstreamCircuitOpenError);
    expect(error).toMatchObject({ code: 'UPSTREAM_CIRCUIT_OPEN', kind: 'unavailable' });
    expect(product.requests).toHaveLength(3);
    const exposition = await metrics.exposition();
    expect(exposition).toContain('emporium_upstream_circuit_state{target="product",state="open"} 1');
    expect(exposition).toContain(
      'emporium_upstream_rejections_total{target="product",reason="circuit_open"} 1',
    );

    // Still failing when the trial call goes through: open again.
    await waitFor(
      async () => (await rejection(sut.get('/x'))) instanceof UpstreamUnavailableError,
      'a trial call',
    );
    expect(sut.circuitState).toBe(CircuitState.Open);

    healthy = true;
    await waitFor(
      async () => (await sut.get('/x').catch(() => undefined)) !== undefined,
      'a successful trial',
    );
    expect(sut.circuitState).toBe(CircuitState.Closed);
    expect(await metrics.exposition()).toContain(
      'emporium_upstream_circuit_state{target="product",state="closed"} 1',
    );
  });

  it('records every attempt by target, method and outcome', async () => {
    const product = await upstream(() => ({ status: 404, body: { code: 'NOPE' } }));
    const { clients, metrics } = testClients({}, { product: product.url });
    await clients.for('product').request({ method: 'DELETE', path: '/x' });
    expect(await metrics.exposition()).toMatch(
      /emporium_upstream_request_duration_seconds_count\{target="product",method="DELETE",outcome="client_error"} 1/,
    );
  });

  it('refuses a target static discovery has no address for', () => {
    const { clients } = testClients({}, { product: 'http://127.0.0.1:1' });
    expect(() => clients.for('payment')).toThrow('SERVICE_PAYMENT_URL');
  });

  describe('with tracing on', () => {
    const exporter = new InMemorySpanExporter();
    let provider: NodeTracerProvider;

    beforeAll(() => {
      provider = new NodeTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
      provider.register();
    });

    afterAll(async () => {
      await provider.shutdown();
      trace.disable();
      context.disable();
      propagation.disable();
    });

    it('sends traceparent of a client span that is a child of the active span', async () => {
      const product = await upstream();
      const { clients } = testClients({}, { product: product.url });
      const tracer = trace.getTracer('test');
      const traceId = await tracer.startActiveSpan('handle request', async (span) => {
        await clients.for('product').get('/x');
        span.end();
        return span.spanContext().traceId;
      });
      const traceparent = String(product.requests[0].headers['traceparent']);
      expect(traceparent).toMatch(new RegExp(`^00-${traceId}-[0-9a-f]{16}-01$`));
      const client = exporter.getFinishedSpans().find((span) => span.name === 'GET product');
      expect(client?.spanContext().spanId).toBe(traceparent.split('-')[2]);
      expect(client?.attributes).toMatchObject({
        'http.request.method': 'GET',
        'http.response.status_code': 200,
      });
    });
  });
});

describe('ServiceClient across instances found in Consul', () => {
  let consul: ConsulDouble;
  let discovery: ConsulDiscovery;

  const put = (path: string, body?: unknown): Promise<void> =>
    new Promise((resolve, reject) => {
      const call = httpRequest(`${consul.url}${path}`, { method: 'PUT', agent: false }, (response) => {
        response.resume();
        response.on('end', () =>
          response.statusCode === 200
            ? resolve()
            : reject(new Error(`agent answered ${response.statusCode}`)),
        );
      });
      call.on('error', reject);
      call.end(body === undefined ? undefined : JSON.stringify(body));
    });

  const register = (id: string, instance: FakeUpstream) =>
    put('/v1/agent/service/register', {
      Name: 'product',
      ID: id,
      Address: '127.0.0.1',
      Port: instance.port,
      Check: { CheckID: `service:${id}`, TTL: '1h', Status: 'passing' },
    });

  beforeEach(async () => {
    consul = await ConsulDouble.start();
    discovery = new ConsulDiscovery(createConsulClient(consul.url), {
      waitMs: 5_000,
      firstAnswerTimeoutMs: 1_000,
      retryMaxMs: 200,
      minQueryIntervalMs: 100,
    });
  });

  afterEach(async () => {
    discovery.close();
    await consul.close();
  });

  /** Which upstream answered each of `n` sequential calls. */
  async function spread(
    call: () => Promise<unknown>,
    instances: FakeUpstream[],
    n: number,
  ): Promise<number[]> {
    const before = instances.map((instance) => instance.requests.length);
    for (let i = 0; i < n; i++) await call();
    return instances.map((instance, i) => instance.requests.length - before[i]);
  }

  it('spreads calls round robin over the healthy instances', async () => {
    const [a, b] = [await upstream(), await upstream()];
    await register('product-a', a);
    await register('product-b', b);
    const { clients } = testClients({ HTTP_CLIENT_BALANCER: 'round-robin' }, discovery);
    expect(await spread(() => clients.for('product').get('/x'), [a, b], 10)).toEqual([5, 5]);
  });

  it('stops calling an instance whose check fails, within seconds, and calls it again once it passes', async () => {
    const [a, b] = [await upstream(), await upstream()];
    await register('product-a', a);
    await register('product-b', b);
    const { clients } = testClients({ HTTP_CLIENT_BALANCER: 'round-robin' }, discovery);
    const sut = clients.for('product');
    const call = () => sut.get('/x');
    expect((await spread(call, [a, b], 4))[1]).toBeGreaterThan(0);

    await put('/v1/agent/check/fail/service:product-b');
    await waitFor(async () => (await spread(call, [a, b], 4))[1] === 0, 'b no longer gets calls');
    expect(await spread(call, [a, b], 10)).toEqual([10, 0]);

    await put('/v1/agent/check/pass/service:product-b');
    await waitFor(async () => (await spread(call, [a, b], 4))[1] > 0, 'b gets calls again');
  });

  it('discovers a new instance through the watch and sends it traffic', async () => {
    const [a, b] = [await upstream(), await upstream()];
    await register('product-a', a);
    const { clients } = testClients({ HTTP_CLIENT_BALANCER: 'round-robin' }, discovery);
    const call = () => clients.for('product').get('/x');
    expect(await spread(call, [a, b], 3)).toEqual([3, 0]);
    await register('product-b', b);
    await waitFor(async () => (await spread(call, [a, b], 4))[1] > 0, 'the new instance gets calls');
  });

  it('answers 503 NO_HEALTHY_INSTANCE when no instance passes its check', async () => {
    const a = await upstream();
    await register('product-a', a);
    await put('/v1/agent/check/fail/service:product-a');
    const { clients } = testClients({}, discovery);
    const error = await rejection(clients.for('product').get('/x'));
    expect(error).toBeInstanceOf(NoHealthyInstanceError);
    expect(error).toMatchObject({ code: 'NO_HEALTHY_INSTANCE', kind: 'unavailable' });
  });

  it('retries an idempotent call on another instance when one refuses connections', async () => {
    const [a, b] = [await upstream(), await upstream()];
    await register('product-a', a);
    await register('product-b', b);
    await a.close();
    upstreams.splice(upstreams.indexOf(a), 1);
    const { clients } = testClients({ HTTP_CLIENT_BALANCER: 'round-robin' }, discovery);
    for (let i = 0; i < 4; i++) await expect(clients.for('product').get('/x')).resolves.toEqual({ ok: true });
    expect(b.requests).toHaveLength(4);
  });

  it('prefers the faster instance under weighted balancing', async () => {
    const fast = await upstream(() => ({ status: 200, body: {} }));
    const slow = await upstream(() => ({ status: 200, body: {}, delayMs: 40 }));
    await register('product-fast', fast);
    await register('product-slow', slow);
    const { clients } = testClients({ HTTP_CLIENT_BALANCER: 'weighted' }, discovery);
    const [toFast, toSlow] = await spread(() => clients.for('product').get('/x'), [fast, slow], 80);
    expect(toFast).toBeGreaterThan(toSlow * 2);
    expect(toSlow).toBeGreaterThan(0);
  });

  it('ejects an instance after consecutive failures and re-admits it after the ejection time', async () => {
    let badIsBad = true;
    const [a, b, bad] = [
      await upstream(),
      await upstream(),
      await upstream(() => (badIsBad ? { status: 500 } : { status: 200, body: { ok: true } })),
    ];
    await register('product-a', a);
    await register('product-b', b);
    await register('product-c', bad);
    const { clients, metrics } = testClients(
      {
        HTTP_CLIENT_BALANCER: 'round-robin',
        HTTP_CLIENT_EJECT_AFTER_FAILURES: '2',
        HTTP_CLIENT_EJECT_BASE_MS: '1000',
        HTTP_CLIENT_BREAKER_THRESHOLD: '100',
      },
      discovery,
    );
    const call = () =>
      clients
        .for('product')
        .get('/x')
        .catch(() => undefined);
    await waitFor(async () => {
      await call();
      return bad.requests.length >= 2;
    }, 'the bad instance fails twice');
    expect(await metrics.exposition()).toContain('emporium_upstream_ejected_instances{target="product"} 1');
    expect((await spread(call, [a, b, bad], 10))[2]).toBe(0);

    badIsBad = false;
    await waitFor(async () => (await spread(call, [a, b, bad], 3))[2] > 0, 'the instance is re-admitted');
  });
});
