import { requestIdFor } from './request-id';

describe(requestIdFor.name, () => {
  it('reuses a well-formed incoming id', () => {
    expect(requestIdFor({ headers: { 'x-request-id': 'abc-123.DEF:9_x' } })).toBe('abc-123.DEF:9_x');
  });

  it.each([['has space'], ['line\nbreak'], ['x'.repeat(129)], ['']])(
    'replaces an unacceptable id %p with a fresh UUID',
    (incoming) => {
      expect(requestIdFor({ headers: { 'x-request-id': incoming } })).toMatch(/^[0-9a-f-]{36}$/);
    },
  );

  it('generates a different id for each request that sends none', () => {
    const first = requestIdFor({ headers: {} });
    expect(first).toMatch(/^[0-9a-f-]{36}$/);
    expect(requestIdFor({ headers: {} })).not.toBe(first);
  });
});
