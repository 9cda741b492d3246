import { STATUS_BY_KIND } from '@emporium/platform/http';

import { isTargetFailure } from './service-client';
import { UpstreamRejectedError } from './upstream-errors';

describe(UpstreamRejectedError.name, () => {
  it.each([
    [400, 'bad_request'],
    [403, 'forbidden'],
    [404, 'not_found'],
    [409, 'conflict'],
    [412, 'precondition'],
    [422, 'invalid'],
  ])('passes a %p on with the same status, code and detail', (status, kind) => {
    const sut = new UpstreamRejectedError('product', status, {
      code: 'SKU_TAKEN',
      detail: 'The sku is taken',
    });
    expect(sut).toMatchObject({ kind, code: 'SKU_TAKEN', message: 'The sku is taken' });
    expect(STATUS_BY_KIND[sut.kind]).toBe(status);
  });

  it.each([401, 405, 413, 415, 429])(
    'turns a %p into a 503 UPSTREAM_REJECTED: this service used the target wrongly',
    (status) => {
      const sut = new UpstreamRejectedError('product', status, {
        code: 'UNAUTHENTICATED',
        detail: 'secret detail',
      });
      expect(sut).toMatchObject({ kind: 'unavailable', code: 'UPSTREAM_REJECTED' });
      expect(sut.message).not.toContain('secret');
    },
  );

  it('falls back to its own code and detail when the target sent no usable problem', () => {
    expect(new UpstreamRejectedError('product', 404, undefined)).toMatchObject({
      code: 'UPSTREAM_404',
      message: 'The product service answered 404',
    });
    expect(
      new UpstreamRejectedError('product', 404, { code: 'not a code', detail: 'x'.repeat(501) }),
    ).toMatchObject({ code: 'UPSTREAM_404', message: 'The product service answered 404' });
  });
});

describe(isTargetFailure.name, () => {
  const instance = {
    id: 'a',
    service: 'product',
    baseUrl: 'http://a',
    address: 'a',
    port: 1,
    tags: [],
    meta: {},
  };
  const response = (status: number) => ({
    kind: 'response',
    instance,
    status,
    headers: new Headers(),
    text: '',
    latencyMs: 1,
  });
  const error = (kind: string) => ({ kind: 'error', instance, error: kind, cause: undefined, latencyMs: 1 });

  it('counts 5xx answers, timeouts and failed connections against the target', () => {
    expect([500, 502, 503, 504].map((status) => isTargetFailure(response(status)))).toEqual([
      true,
      true,
      true,
      true,
    ]);
    expect(isTargetFailure(error('timeout'))).toBe(true);
    expect(isTargetFailure(error('network'))).toBe(true);
  });

  it("does not count answers below 500, nor the caller's own deadline or cancellation", () => {
    expect([200, 204, 404, 409, 429].map((status) => isTargetFailure(response(status)))).toEqual([
      false,
      false,
      false,
      false,
      false,
    ]);
    expect(isTargetFailure(error('deadline'))).toBe(false);
    expect(isTargetFailure(error('cancelled'))).toBe(false);
  });
});
