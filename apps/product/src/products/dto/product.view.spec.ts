import { toProductView } from './product.view';

describe(toProductView.name, () => {
  it('maps a row to the public shape with money and RFC 3339 UTC times', () => {
    const sut = toProductView({
      id: '2f1c4b7e-8a43-4c1e-9a55-0d4c6a1f7b21',
      sku: 'MUG-1',
      name: 'Mug',
      description: 'Stoneware',
      price_amount: 1400,
      price_currency: 'USD',
      category: 'kitchen',
      active: true,
      created_at: new Date('2026-01-02T03:04:05.678Z'),
      updated_at: new Date('2026-02-03T04:05:06.789Z'),
    });
    expect(sut).toEqual({
      id: '2f1c4b7e-8a43-4c1e-9a55-0d4c6a1f7b21',
      sku: 'MUG-1',
      name: 'Mug',
      description: 'Stoneware',
      price: { amount: 1400, currency: 'USD' },
      category: 'kitchen',
      active: true,
      createdAt: '2026-01-02T03:04:05.678Z',
      updatedAt: '2026-02-03T04:05:06.789Z',
    });
  });
});
