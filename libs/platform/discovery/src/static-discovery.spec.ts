import { UnknownServiceError } from './service-discovery';
import { StaticDiscovery } from './static-discovery';

describe(StaticDiscovery.name, () => {
  const sut = new StaticDiscovery({
    product: 'http://product:3003',
    order: 'https://gateway.example/order/',
    user: 'http://[::1]:3002',
  });

  it('resolves each service to its one configured instance, the same array every time', async () => {
    const instances = await sut.instances('product');
    expect(instances).toEqual([
      {
        id: 'static:product',
        service: 'product',
        baseUrl: 'http://product:3003',
        address: 'product',
        port: 3003,
        tags: [],
        meta: {},
      },
    ]);
    await expect(sut.instances('product')).resolves.toBe(instances);
  });

  it('keeps a path prefix without its trailing slash and defaults the port from the scheme', async () => {
    const [order] = await sut.instances('order');
    expect(order).toMatchObject({ baseUrl: 'https://gateway.example/order', port: 443 });
  });

  it('keeps IPv6 literals bracketed', async () => {
    const [user] = await sut.instances('user');
    expect(user).toMatchObject({ baseUrl: 'http://[::1]:3002', port: 3002 });
  });

  it('refuses a service it has no address for', async () => {
    expect(sut.knows('payment')).toBe(false);
    await expect(sut.instances('payment')).rejects.toBeInstanceOf(UnknownServiceError);
  });
});
