import { EnvValidationError, loadEnv } from '@emporium/platform/config';

import { DiscoveryEnv, KNOWN_SERVICE_PORTS, staticServiceUrls } from './discovery-env';

describe(DiscoveryEnv.name, () => {
  it('defaults to static discovery on the local ports api.md gives', () => {
    const sut = loadEnv(DiscoveryEnv, {});
    expect(sut.CONSUL_URL).toBeUndefined();
    expect(sut.CONSUL_CHECK).toBe('http');
    expect(staticServiceUrls(sut)).toEqual(
      Object.fromEntries(
        Object.entries(KNOWN_SERVICE_PORTS).map(([service, port]) => [service, `http://127.0.0.1:${port}`]),
      ),
    );
  });

  it('reads the Consul settings and the static addresses', () => {
    const sut = loadEnv(DiscoveryEnv, {
      CONSUL_URL: 'http://consul:8500',
      CONSUL_CHECK: 'ttl',
      CONSUL_SERVICE_ADDRESS: 'product',
      CONSUL_SERVICE_PORT: '3003',
      CONSUL_CHECK_INTERVAL_MS: '2000',
      SERVICE_PRODUCT_URL: 'http://product.emporium.svc.cluster.local:3003',
    });
    expect(sut).toMatchObject({
      CONSUL_URL: 'http://consul:8500',
      CONSUL_CHECK: 'ttl',
      CONSUL_SERVICE_ADDRESS: 'product',
      CONSUL_SERVICE_PORT: 3003,
      CONSUL_CHECK_INTERVAL_MS: 2000,
    });
    expect(staticServiceUrls(sut).product).toBe('http://product.emporium.svc.cluster.local:3003');
  });

  it.each([
    ['CONSUL_URL', 'consul:8500'],
    ['CONSUL_URL', 'ftp://consul'],
    ['CONSUL_CHECK', 'tcp'],
    ['CONSUL_SERVICE_PORT', '0'],
    ['CONSUL_SERVICE_ADDRESS', 'has space'],
    ['CONSUL_CHECK_INTERVAL_MS', '10'],
    ['CONSUL_REQUEST_TIMEOUT_MS', '60000'],
    ['CONSUL_TOKEN', 'a b'],
    ['SERVICE_ORDER_URL', 'order:3005'],
  ])('rejects %s=%s, naming it', (variable, value) => {
    const attempt = () => loadEnv(DiscoveryEnv, { [variable]: value });
    expect(attempt).toThrow(EnvValidationError);
    expect(attempt).toThrow(new RegExp(`${variable}:`));
  });
});
