import {
  assertPolicies,
  byBodyField,
  byClientIp,
  byUser,
  parseRate,
  RateLimitPolicy,
} from './rate-limit-policy';

describe(parseRate.name, () => {
  it.each([
    ['20/1m', { limit: 20, windowMs: 60_000 }],
    ['10/15m', { limit: 10, windowMs: 900_000 }],
    ['5/30s', { limit: 5, windowMs: 30_000 }],
    ['100/1h', { limit: 100, windowMs: 3_600_000 }],
  ])('parses %p', (rate, expected) => {
    expect(parseRate(rate)).toEqual(expected);
  });

  it.each(['', '10', '10/', '0/1m', '10/0m', '10/1d', '-1/1m', '1.5/1m', ' 10/1m', '10/1m '])(
    'refuses %p',
    (rate) => {
      expect(() => parseRate(rate)).toThrow(/Invalid rate/);
    },
  );
});

describe('trackers', () => {
  it('byClientIp keeps IPv4, folds IPv4-mapped IPv6 and groups IPv6 by /64', () => {
    const sut = byClientIp();
    expect(sut({ ip: '203.0.113.7' })).toBe('203.0.113.7');
    expect(sut({ ip: '::ffff:203.0.113.7' })).toBe('203.0.113.7');
    expect(sut({ ip: '2001:db8:1:2:aaaa::1' })).toBe(sut({ ip: '2001:db8:1:2:bbbb::2' }));
    expect(sut({ ip: '2001:db8:1:2::1' })).not.toBe(sut({ ip: '2001:db8:1:3::1' }));
    expect(sut({})).toBeUndefined();
  });

  it('byBodyField reads a trimmed, lower-cased string field and exempts anything else', () => {
    const sut = byBodyField('email');
    expect(sut({ body: { email: '  Ada@Example.COM ' } })).toBe('ada@example.com');
    expect(sut({ body: { email: 42 } })).toBeUndefined();
    expect(sut({ body: { email: '   ' } })).toBeUndefined();
    expect(sut({ body: { email: 'x'.repeat(2000) } })).toBeUndefined();
    expect(sut({ body: [{ email: 'a@b.c' }] })).toBeUndefined();
    expect(sut({ body: 'email=a@b.c' })).toBeUndefined();
    expect(sut({})).toBeUndefined();
  });

  it('byUser reads the verified caller only', () => {
    const sut = byUser();
    expect(sut({ user: { id: '7d1b8c3e-0000-4000-8000-000000000001' } })).toBe(
      '7d1b8c3e-0000-4000-8000-000000000001',
    );
    expect(sut({})).toBeUndefined();
  });
});

describe(assertPolicies.name, () => {
  const policy = (overrides: Partial<RateLimitPolicy> = {}): RateLimitPolicy => ({
    name: 'login-ip',
    limit: 5,
    windowMs: 60_000,
    tracker: byClientIp(),
    ...overrides,
  });

  it('accepts well-formed policies', () => {
    expect(() => assertPolicies([policy(), policy({ name: 'login-account', blockMs: 5_000 })])).not.toThrow();
  });

  it.each([
    [{ name: 'Login' }, /kebab-case/],
    [{ limit: 0 }, /limit/],
    [{ limit: 1.5 }, /limit/],
    [{ windowMs: 999 }, /windowMs/],
    [{ blockMs: 0 }, /blockMs/],
  ])('refuses %p', (overrides, message) => {
    expect(() => assertPolicies([policy(overrides)])).toThrow(message);
  });

  it('refuses a name declared twice', () => {
    expect(() => assertPolicies([policy(), policy()])).toThrow(/twice/);
  });
});
