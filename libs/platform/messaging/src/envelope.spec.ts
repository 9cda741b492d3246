import { randomUUID } from 'node:crypto';

import { createEnvelope, InvalidEventError, OutgoingEvent, parseEnvelope } from './envelope';

const productId = randomUUID();
const created: OutgoingEvent<'product.created'> = {
  type: 'product.created',
  subject: productId,
  data: {
    productId,
    sku: 'MUG-1',
    name: 'Mug',
    price: { amount: 1400, currency: 'USD' },
    category: 'kitchen',
    active: true,
  },
};

describe(createEnvelope.name, () => {
  it('wraps a valid payload in a CloudEvents 1.0 envelope with trace and request id', () => {
    const now = new Date('2026-11-24T10:00:00.000Z');
    const traceparent = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
    const envelope = createEnvelope(created, { source: 'product', traceparent, requestId: 'req-1', now });
    expect(envelope).toEqual({
      specversion: '1.0',
      id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      source: 'product',
      type: 'product.created',
      time: '2026-11-24T10:00:00.000Z',
      subject: productId,
      datacontenttype: 'application/json',
      traceparent,
      requestid: 'req-1',
      data: created.data,
    });
    expect(createEnvelope(created, { source: 'product' }).id).not.toBe(envelope.id);
  });

  it('refuses a payload that breaks its contract, naming the fields', () => {
    const bad = { ...created, data: { ...created.data, sku: '', price: { amount: -1, currency: 'usd' } } };
    expect(() => createEnvelope(bad, { source: 'product' })).toThrow(InvalidEventError);
    expect(() => createEnvelope(bad, { source: 'product' })).toThrow(/sku.*price\.amount.*price\.currency/s);
  });

  it('lets only the owning service publish a type, about a named aggregate', () => {
    expect(() => createEnvelope(created, { source: 'order' })).toThrow(/only product publishes it/);
    expect(() => createEnvelope({ ...created, subject: '' }, { source: 'product' })).toThrow(/subject/);
  });
});

describe(parseEnvelope.name, () => {
  const valid = () => createEnvelope(created, { source: 'product' });
  const parse = (value: unknown) =>
    parseEnvelope(Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)));

  it('reads a valid envelope and strips payload fields the contract does not know', () => {
    const result = parse({ ...valid(), data: { ...created.data, addedLater: true } });
    expect(result).toMatchObject({ ok: true, event: { type: 'product.created', data: created.data } });
    expect(result.ok && (result.event.data as Record<string, unknown>).addedLater).toBeUndefined();
  });

  it.each([
    ['not JSON', '{oops', 'malformed'],
    ['an array', '[]', 'malformed'],
    ['another spec version', { specversion: '0.3' }, 'malformed'],
    ['no id', { id: '' }, 'malformed'],
    ['an unknown type', { type: 'product.exploded' }, 'unknown_type'],
    ['a prototype key as type', { type: 'toString' }, 'unknown_type'],
    ['an invalid payload', { data: { productId: 'nope' } }, 'invalid_payload'],
    ['no payload', { data: null }, 'invalid_payload'],
  ])('refuses %s as %s', (_case, change, reason) => {
    const body = typeof change === 'string' ? change : { ...valid(), ...change };
    expect(parse(body)).toMatchObject({ ok: false, reason });
  });
});
