import { plainToInstance } from 'class-transformer';
import { validateSync } from 'class-validator';

import { EVENT_PAYLOADS, isEventType } from './events';

describe('EVENT_PAYLOADS', () => {
  const entries = Object.entries(EVENT_PAYLOADS);

  it.each(entries)('maps %s to the class that declares that type', (type, payloadClass) => {
    expect(payloadClass.type).toBe(type);
  });

  it.each(entries)('names the one service that publishes %s', (_type, payloadClass) => {
    expect(payloadClass.source).toMatch(/^[a-z]+(-[a-z]+)*$/);
  });

  it('gives every event type its own class', () => {
    const classes = new Set(entries.map(([, payloadClass]) => payloadClass));
    expect(classes.size).toBe(entries.length);
  });

  it.each(entries)('names %s <aggregate>.<past-tense verb>', (type) => {
    expect(type).toMatch(/^[a-z]+(-[a-z]+)*\.[a-z]+ed(\.v\d+)?$/);
  });

  it('validates payloads against their class', () => {
    const valid = plainToInstance(EVENT_PAYLOADS['product.created'], {
      productId: '8f14e45f-ceea-4e7a-9b8e-2f6b7a1c9d10',
      sku: 'MUG-1',
      name: 'Mug',
      price: { amount: 1400, currency: 'USD' },
      category: 'kitchen',
      active: true,
    });
    expect(validateSync(valid)).toEqual([]);
    const invalid = plainToInstance(EVENT_PAYLOADS['product.created'], {
      productId: 'nope',
      price: { amount: -1, currency: 'ZZZ' },
    });
    expect(validateSync(invalid).map((error) => error.property)).toEqual(
      expect.arrayContaining(['productId', 'sku', 'price']),
    );
  });

  it('recognises known types only', () => {
    expect(isEventType('product.created')).toBe(true);
    expect(isEventType('product.exploded')).toBe(false);
    expect(isEventType('toString')).toBe(false);
  });
});
