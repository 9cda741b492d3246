import { MetricsEnv } from '@emporium/platform/config';
import { DomainError } from '@emporium/platform/http';
import { MetricsService } from '@emporium/platform/metrics';
import { hash } from '@node-rs/argon2';

import { PasswordHashingEnv } from '../config/auth-service.env';
import { needsRehash, PasswordHasher } from './password-hasher';

const POLICY = { memoryCost: 19_456, timeCost: 2, parallelism: 1 };

function hasherWith(overrides: Partial<PasswordHashingEnv> = {}): PasswordHasher {
  const env = Object.assign(new PasswordHashingEnv(), overrides);
  return new PasswordHasher(env, new MetricsService(new MetricsEnv()));
}

describe(PasswordHasher.name, () => {
  let sut: PasswordHasher;

  beforeAll(async () => {
    sut = hasherWith();
    await sut.onModuleInit();
  });

  it('hashes with argon2id at the OWASP parameters, a fresh salt each time', async () => {
    const first = await sut.hash('correct horse battery staple');
    const second = await sut.hash('correct horse battery staple');
    expect(first).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$/);
    expect(second).not.toBe(first);
    expect(sut.needsRehash(first)).toBe(false);
  });

  it('verifies the right password only', async () => {
    const stored = await sut.hash('correct horse battery staple');
    await expect(sut.verify(stored, 'correct horse battery staple')).resolves.toBe(true);
    await expect(sut.verify(stored, 'correct horse battery stapler')).resolves.toBe(false);
    await expect(sut.verify(stored, '')).resolves.toBe(false);
  });

  it('answers false, not an error, for a stored hash it cannot read', async () => {
    await expect(sut.verify('not-a-phc-string', 'whatever')).resolves.toBe(false);
  });

  it('spends a verification for an unknown account and always refuses', async () => {
    await expect(sut.verifyWithoutAccount('anything at all')).resolves.toBe(false);
  });

  it('takes raised parameters from its configuration', async () => {
    const stronger = hasherWith({ AUTH_ARGON2_MEMORY_KIB: 24_576, AUTH_ARGON2_TIME_COST: 3 });
    const stored = await stronger.hash('correct horse battery staple');
    expect(stored).toContain('$m=24576,t=3,p=1$');
    // A hash made under the old policy is now too weak; one made under the new one is not.
    expect(stronger.needsRehash(await sut.hash('x'))).toBe(true);
    expect(stronger.needsRehash(stored)).toBe(false);
  });

  it('sheds work past its queue with a 503 domain error', async () => {
    const busy = hasherWith({ AUTH_HASH_CONCURRENCY: 1, AUTH_HASH_QUEUE_MAX: 0 });
    const results = await Promise.allSettled([busy.hash('one'), busy.hash('two')]);
    expect(results[0].status).toBe('fulfilled');
    expect(results[1]).toMatchObject({ status: 'rejected', reason: expect.any(DomainError) });
    expect((results[1] as PromiseRejectedResult).reason).toMatchObject({
      code: 'AUTH_BUSY',
      kind: 'unavailable',
    });
  });
});

describe(needsRehash.name, () => {
  const make = (options: Parameters<typeof hash>[1]): Promise<string> =>
    hash('pw', { outputLen: 32, ...options });

  it('keeps a hash made at the policy or above it', async () => {
    expect(
      needsRehash(await make({ algorithm: 2, memoryCost: 19_456, timeCost: 2, parallelism: 1 }), POLICY),
    ).toBe(false);
    expect(
      needsRehash(await make({ algorithm: 2, memoryCost: 20_480, timeCost: 3, parallelism: 1 }), POLICY),
    ).toBe(false);
  });

  it.each([
    ['less memory', { algorithm: 2, memoryCost: 8_192, timeCost: 2, parallelism: 1 }],
    ['fewer passes', { algorithm: 2, memoryCost: 19_456, timeCost: 1, parallelism: 1 }],
    ['other parallelism', { algorithm: 2, memoryCost: 19_456, timeCost: 2, parallelism: 2 }],
    ['argon2i', { algorithm: 1, memoryCost: 19_456, timeCost: 2, parallelism: 1 }],
    ['a shorter output', { algorithm: 2, memoryCost: 19_456, timeCost: 2, parallelism: 1, outputLen: 16 }],
  ] as const)('upgrades a hash with %s', async (_case, options) => {
    expect(needsRehash(await make(options), POLICY)).toBe(true);
  });

  it('upgrades what it cannot parse', () => {
    expect(needsRehash('$2b$10$abcdefghijklmnopqrstuu', POLICY)).toBe(true);
  });
});
