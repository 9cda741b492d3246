import { createServer, Server } from 'node:http';
import { AddressInfo } from 'node:net';

import Consul from 'consul';

import { ConsulDouble } from './consul-double';

interface HealthEntry {
  Service: {
    ID: string;
    Service: string;
    Address: string;
    Port: number;
    Tags: string[];
    Meta: Record<string, string>;
  };
  Checks: { CheckID: string; Status: string; Output: string }[];
}

describe(ConsulDouble.name, () => {
  let sut: ConsulDouble;

  beforeEach(async () => {
    sut = await ConsulDouble.start();
  });

  afterEach(async () => {
    await sut.close();
  });

  const put = (path: string, body?: unknown, headers: Record<string, string> = {}) =>
    fetch(`${sut.url}${path}`, {
      method: 'PUT',
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
    });

  async function health(name: string, query = 'passing'): Promise<{ index: number; entries: HealthEntry[] }> {
    const response = await fetch(`${sut.url}/v1/health/service/${name}?${query}`);
    expect(response.status).toBe(200);
    return {
      index: Number(response.headers.get('x-consul-index')),
      entries: (await response.json()) as HealthEntry[],
    };
  }

  const ttlService = (id: string, extra: Record<string, unknown> = {}) => ({
    Name: 'product',
    ID: id,
    Address: '10.0.0.7',
    Port: 3003,
    Tags: ['version=0.1.0'],
    Meta: { version: '0.1.0' },
    Check: { CheckID: `service:${id}`, TTL: '10s', ...extra },
  });

  it('lists a TTL-checked instance as passing only after a pass, and drops it on a fail', async () => {
    expect((await put('/v1/agent/service/register', ttlService('product-1'))).status).toBe(200);
    expect((await health('product')).entries).toEqual([]);
    expect((await health('product', '')).entries).toHaveLength(1);

    expect((await put('/v1/agent/check/pass/service:product-1?note=ready')).status).toBe(200);
    const passing = await health('product');
    expect(passing.entries).toHaveLength(1);
    expect(passing.entries[0].Service).toMatchObject({
      ID: 'product-1',
      Service: 'product',
      Address: '10.0.0.7',
      Port: 3003,
      Tags: ['version=0.1.0'],
      Meta: { version: '0.1.0' },
    });
    expect(passing.entries[0].Checks.map((check) => check.CheckID)).toEqual([
      'serfHealth',
      'service:product-1',
    ]);
    expect(passing.entries[0].Checks[1]).toMatchObject({ Status: 'passing', Output: 'ready' });

    expect((await put('/v1/agent/check/fail/service:product-1')).status).toBe(200);
    const failing = await health('product');
    expect(failing.entries).toEqual([]);
    expect(failing.index).toBeGreaterThan(passing.index);
  });

  it('accepts the TTL update endpoint and refuses an invalid status', async () => {
    await put('/v1/agent/service/register', ttlService('product-1'));
    expect(
      (await put('/v1/agent/check/update/service:product-1', { Status: 'passing', Output: 'ok' })).status,
    ).toBe(200);
    expect((await health('product')).entries).toHaveLength(1);
    expect((await put('/v1/agent/check/update/service:product-1', { Status: 'fine' })).status).toBe(400);
  });

  it('treats a warning as not passing', async () => {
    await put('/v1/agent/service/register', ttlService('product-1'));
    await put('/v1/agent/check/warn/service:product-1');
    expect((await health('product')).entries).toEqual([]);
    expect((await health('product', 'passing=false')).entries).toHaveLength(1);
  });

  it('blocks a query with the current index until the service changes', async () => {
    const { index } = await health('product');
    const blocked = fetch(`${sut.url}/v1/health/service/product?passing&index=${index}&wait=10s`);
    let settled = false;
    void blocked.then(() => (settled = true));
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(settled).toBe(false);

    await put('/v1/agent/service/register', ttlService('product-1', { Status: 'passing' }));
    const response = await blocked;
    expect(Number(response.headers.get('x-consul-index'))).toBeGreaterThan(index);
    expect(((await response.json()) as HealthEntry[]).map((entry) => entry.Service.ID)).toEqual([
      'product-1',
    ]);
  });

  it('answers a blocking query with the same index when the wait runs out', async () => {
    const { index } = await health('product');
    const response = await fetch(`${sut.url}/v1/health/service/product?index=${index}&wait=50ms`);
    expect(Number(response.headers.get('x-consul-index'))).toBe(index);
  });

  it('is not woken by changes to other services', async () => {
    const { index } = await health('product');
    const blocked = fetch(`${sut.url}/v1/health/service/product?index=${index}&wait=300ms`);
    await put('/v1/agent/service/register', { ...ttlService('order-1'), Name: 'order' });
    const response = await blocked;
    expect(Number(response.headers.get('x-consul-index'))).toBe(index);
  });

  it('turns a TTL check critical when it is not renewed in time', async () => {
    await put('/v1/agent/service/register', ttlService('product-1', { TTL: '60ms', Status: 'passing' }));
    expect((await health('product')).entries).toHaveLength(1);
    await waitFor(async () => (await health('product')).entries.length === 0);
    const [entry] = (await health('product', '')).entries;
    expect(entry.Checks[1]).toMatchObject({ Status: 'critical', Output: 'TTL expired' });
  });

  it('runs HTTP checks against the instance: 2xx passing, 429 warning, otherwise critical', async () => {
    let status = 200;
    const target = await listen(createServer((_request, response) => response.writeHead(status).end()));
    try {
      const port = (target.address() as AddressInfo).port;
      await put('/v1/agent/service/register', {
        Name: 'product',
        ID: 'product-1',
        Address: '127.0.0.1',
        Port: port,
        Check: { HTTP: `http://127.0.0.1:${port}/health/ready`, Interval: '20ms', Timeout: '1s' },
      });
      await waitFor(async () => (await health('product')).entries.length === 1);
      status = 429;
      await waitFor(async () => (await health('product', '')).entries[0].Checks[1].Status === 'warning');
      status = 503;
      await waitFor(async () => (await health('product', '')).entries[0].Checks[1].Status === 'critical');
    } finally {
      await new Promise((resolve) => target.close(resolve));
    }
  });

  it('reaps a service critical for longer than DeregisterCriticalServiceAfter', async () => {
    await sut.close();
    sut = await ConsulDouble.start({ reapIntervalMs: 20 });
    await put(
      '/v1/agent/service/register',
      ttlService('product-1', { TTL: '30ms', DeregisterCriticalServiceAfter: '50ms', Status: 'passing' }),
    );
    await waitFor(async () => (await health('product', '')).entries.length === 0);
    expect(sut.registeredServices()).toEqual([]);
  });

  it('deregisters, and answers 404 for an unknown service and 500 for an unknown TTL check', async () => {
    await put('/v1/agent/service/register', ttlService('product-1'));
    expect((await put('/v1/agent/service/deregister/product-1')).status).toBe(200);
    expect((await health('product', '')).entries).toEqual([]);
    expect((await put('/v1/agent/service/deregister/product-1')).status).toBe(404);
    const pass = await put('/v1/agent/check/pass/service:product-1');
    expect(pass.status).toBe(500);
    expect(await pass.text()).toBe('CheckID "service:product-1" does not have associated TTL');
  });

  it('lists the agent services', async () => {
    await put('/v1/agent/service/register', ttlService('product-1'));
    const services = (await (await fetch(`${sut.url}/v1/agent/services`)).json()) as Record<string, unknown>;
    expect(services).toEqual({
      'product-1': expect.objectContaining({ ID: 'product-1', Service: 'product' }),
    });
  });

  it('filters the agent services by ID, and refuses filters it does not understand', async () => {
    await put('/v1/agent/service/register', ttlService('product-1'));
    await put('/v1/agent/service/register', ttlService('product-2'));
    const filtered = await fetch(
      `${sut.url}/v1/agent/services?filter=${encodeURIComponent('ID == "product-2"')}`,
    );
    expect(Object.keys((await filtered.json()) as object)).toEqual(['product-2']);
    const unsupported = await fetch(`${sut.url}/v1/agent/services?filter=${encodeURIComponent('Port > 1')}`);
    expect(unsupported.status).toBe(400);
  });

  it.each([
    ['no name', { ID: 'x' }],
    [
      'a check that is neither TTL nor HTTP with an interval',
      { Name: 'x', Check: { HTTP: 'http://127.0.0.1:1/' } },
    ],
    ['a malformed duration', { Name: 'x', Check: { TTL: 'soon' } }],
  ])('refuses a registration with %s', async (_, body) => {
    expect((await put('/v1/agent/service/register', body)).status).toBe(400);
  });

  it('refuses requests without the ACL token when one is configured', async () => {
    await sut.close();
    sut = await ConsulDouble.start({ token: 's3cret' });
    expect((await put('/v1/agent/service/register', ttlService('product-1'))).status).toBe(403);
    expect(
      (await put('/v1/agent/service/register', ttlService('product-1'), { 'X-Consul-Token': 's3cret' }))
        .status,
    ).toBe(200);
  });

  it('forgets everything on reset, and its index goes backwards', async () => {
    await put('/v1/agent/service/register', ttlService('product-1'));
    await put('/v1/agent/check/pass/service:product-1');
    const before = await health('product');
    sut.reset();
    const after = await health('product');
    expect(after.entries).toEqual([]);
    expect(after.index).toBeLessThan(before.index);
  });

  it('becomes unreachable on stop and answers again, with its state, on listen', async () => {
    await put('/v1/agent/service/register', ttlService('product-1', { Status: 'passing' }));
    await sut.stop();
    await expect(fetch(`${sut.url}/v1/agent/services`)).rejects.toThrow();
    await sut.listen();
    expect((await health('product')).entries).toHaveLength(1);
  });

  it('speaks the API the consul client library uses', async () => {
    const client = new Consul({ host: '127.0.0.1', port: sut.port });
    try {
      await client.agent.service.register({
        name: 'product',
        id: 'product-1',
        address: '127.0.0.1',
        port: 3003,
        check: { name: 'ready', checkid: 'service:product-1', ttl: '10s', timeout: '1s' },
      });
      await client.agent.check.pass({ id: 'service:product-1' });
      const entries = (await client.health.service({ service: 'product', passing: true })) as HealthEntry[];
      expect(entries.map((entry) => entry.Service.ID)).toEqual(['product-1']);
      await client.agent.service.deregister('product-1');
      expect(sut.registeredServices()).toEqual([]);
      expect(sut.healthQueries('product')[0].query.get('passing')).toBe('true');
    } finally {
      client.destroy();
    }
  });
});

async function listen(server: Server): Promise<Server> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return server;
}

async function waitFor(condition: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (await condition()) return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error('condition not met within 2 s');
}
