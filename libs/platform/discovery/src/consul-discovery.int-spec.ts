import { request as httpRequest } from 'node:http';

import { ConsulDouble } from '@emporium/platform/testing';

import { waitFor } from '../test/wait-for';
import { createConsulClient } from './consul-client';
import { ConsulDiscovery } from './consul-discovery';
import { RegistryUnavailableError, ServiceInstance } from './service-discovery';

describe(ConsulDiscovery.name, () => {
  let consul: ConsulDouble;
  let sut: ConsulDiscovery;

  const newDiscovery = (): ConsulDiscovery =>
    new ConsulDiscovery(createConsulClient(consul.url), {
      waitMs: 2_000,
      firstAnswerTimeoutMs: 1_000,
      retryMaxMs: 200,
      minQueryIntervalMs: 100,
    });

  // A fresh connection each time: a pooled one may be a socket the stopped agent closed.
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

  const register = (id: string, port: number, status = 'passing') =>
    put('/v1/agent/service/register', {
      Name: 'product',
      ID: id,
      Address: '127.0.0.1',
      Port: port,
      Check: { CheckID: `service:${id}`, TTL: '1h', Status: status },
    });

  const ids = (instances: readonly ServiceInstance[]) => instances.map((instance) => instance.id);
  const currentIds = async () => ids(await sut.instances('product'));

  beforeEach(async () => {
    consul = await ConsulDouble.start();
    sut = newDiscovery();
  });

  afterEach(async () => {
    sut.close();
    await consul.close();
  });

  it('returns the passing instances, with their addresses', async () => {
    await register('product-1', 4001);
    await register('product-2', 4002, 'critical');
    const instances = await sut.instances('product');
    expect(instances).toEqual([
      {
        id: 'product-1',
        service: 'product',
        baseUrl: 'http://127.0.0.1:4001',
        address: '127.0.0.1',
        port: 4001,
        tags: [],
        meta: {},
      },
    ]);
    expect(consul.healthQueries('product')[0].query.get('passing')).toBe('true');
  });

  it('sees a new instance through the blocking watch, without polling', async () => {
    await register('product-1', 4001);
    expect(await currentIds()).toEqual(['product-1']);
    await register('product-2', 4002);
    await waitFor(async () => (await currentIds()).length === 2, 'the new instance is discovered');

    // Idle: the watch holds one blocking query (index + wait) open instead of asking again and again.
    const before = consul.healthQueries('product').length;
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(consul.healthQueries('product').length - before).toBeLessThanOrEqual(1);
    const last = consul.healthQueries('product').at(-1);
    expect(Number(last?.query.get('index'))).toBeGreaterThan(0);
    expect(last?.query.get('wait')).toBe('2000ms');
  });

  it('drops an instance whose check fails and takes it back when it passes', async () => {
    await register('product-1', 4001);
    await register('product-2', 4002);
    expect(await currentIds()).toEqual(['product-1', 'product-2']);

    await put('/v1/agent/check/fail/service:product-2');
    await waitFor(async () => (await currentIds()).join() === 'product-1', 'the failing instance leaves');
    await put('/v1/agent/check/pass/service:product-2');
    await waitFor(async () => (await currentIds()).length === 2, 'the instance comes back');
  });

  it('drops a deregistered instance', async () => {
    await register('product-1', 4001);
    await register('product-2', 4002);
    expect(await currentIds()).toHaveLength(2);
    await put('/v1/agent/service/deregister/product-1');
    await waitFor(async () => (await currentIds()).join() === 'product-2', 'the instance leaves');
  });

  it('keeps serving the last known set while the agent is unreachable, and follows changes once it is back', async () => {
    await register('product-1', 4001);
    expect(await currentIds()).toEqual(['product-1']);
    const queriesBefore = consul.healthQueries('product').length;
    await consul.stop();
    // Let the watch lose its blocking query and fail a few reconnection rounds (retryMaxMs is 200 ms).
    await new Promise((resolve) => setTimeout(resolve, 600));
    expect(await currentIds()).toEqual(['product-1']);
    expect(consul.healthQueries('product')).toHaveLength(queriesBefore);

    await consul.listen();
    await register('product-2', 4002);
    await waitFor(async () => (await currentIds()).length === 2, 'changes are seen again');
  });

  it('follows an agent that restarted and lost its state (the index goes backwards)', async () => {
    await register('product-1', 4001);
    await register('product-2', 4002);
    expect(await currentIds()).toHaveLength(2);
    consul.reset();
    await register('product-3', 4003);
    await waitFor(async () => (await currentIds()).join() === 'product-3', 'the new state is seen');
  });

  it('fails fast with a 503 problem when the agent is unreachable and nothing is known yet', async () => {
    await consul.stop();
    const error = await sut.instances('product').then(
      () => undefined,
      (failure: unknown) => failure,
    );
    expect(error).toBeInstanceOf(RegistryUnavailableError);
    expect(error).toMatchObject({ code: 'REGISTRY_UNAVAILABLE', kind: 'unavailable' });
  });

  it('rejects callers still waiting for a first answer when it closes', async () => {
    await consul.stop();
    sut.close();
    await expect(sut.instances('product')).rejects.toBeInstanceOf(RegistryUnavailableError);
  });

  it('starts the watches it is asked to prefetch', async () => {
    await register('product-1', 4001);
    sut.prefetch(['product', 'order']);
    await waitFor(
      () => consul.healthQueries('product').length > 0 && consul.healthQueries('order').length > 0,
      'both watches run',
    );
  });
});
