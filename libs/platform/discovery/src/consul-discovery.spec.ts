import { toInstances } from './consul-discovery';
import { advertisedAddress, goDuration } from './consul-registrar';

describe(toInstances.name, () => {
  it('maps health entries to instances, preferring the service address over the node address', () => {
    const sut = toInstances('product', [
      {
        Node: { Address: '10.0.0.1' },
        Service: {
          ID: 'product-b',
          Address: '',
          Port: 3003,
          Tags: ['version=0.1.0'],
          Meta: { version: '0.1.0' },
        },
      },
      {
        Node: { Address: '10.0.0.1' },
        Service: {
          ID: 'product-a',
          Address: '10.0.0.9',
          Port: 3003,
          Tags: null,
          Meta: { scheme: 'https', n: 1 },
        },
      },
    ]);
    expect(sut).toEqual([
      {
        id: 'product-a',
        service: 'product',
        baseUrl: 'https://10.0.0.9:3003',
        address: '10.0.0.9',
        port: 3003,
        tags: [],
        meta: { scheme: 'https' },
      },
      {
        id: 'product-b',
        service: 'product',
        baseUrl: 'http://10.0.0.1:3003',
        address: '10.0.0.1',
        port: 3003,
        tags: ['version=0.1.0'],
        meta: { version: '0.1.0' },
      },
    ]);
  });

  it('skips malformed entries and bracket IPv6 addresses', () => {
    const sut = toInstances('product', [
      null,
      { Service: { ID: 'no-port', Address: '10.0.0.2' } },
      { Service: { ID: 'no-address', Port: 1 } },
      { Service: { ID: 'v6', Address: 'fd00::7', Port: 3003 } },
    ]);
    expect(sut.map((instance) => instance.baseUrl)).toEqual(['http://[fd00::7]:3003']);
    expect(toInstances('product', { not: 'an array' })).toEqual([]);
  });
});

describe(goDuration.name, () => {
  it.each([
    [60_000, '60s'],
    [1_500, '1500ms'],
    [100, '100ms'],
  ])('writes %p ms as %p', (ms, expected) => {
    expect(goDuration(ms)).toBe(expected);
  });
});

describe(advertisedAddress.name, () => {
  const nic = (address: string, family: 'IPv4' | 'IPv6', internal: boolean) =>
    ({ address, family, internal, netmask: '', mac: '', cidr: null }) as never;

  it('prefers the first non-loopback IPv4 address', () => {
    expect(
      advertisedAddress(
        {
          lo: [nic('127.0.0.1', 'IPv4', true)],
          eth0: [nic('fe80::1', 'IPv6', false), nic('172.18.0.5', 'IPv4', false)],
        },
        'box',
      ),
    ).toBe('172.18.0.5');
  });

  it('falls back to the host name', () => {
    expect(advertisedAddress({ lo: [nic('127.0.0.1', 'IPv4', true)] }, 'box')).toBe('box');
  });
});
