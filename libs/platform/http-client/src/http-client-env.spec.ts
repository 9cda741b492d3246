import { EnvValidationError, loadEnv } from '@emporium/platform/config';

import { HttpClientEnv } from './http-client-env';

describe(HttpClientEnv.name, () => {
  it('has defaults that fit inside the 30 s server timeout', () => {
    const sut = loadEnv(HttpClientEnv, {});
    expect(sut).toMatchObject({
      HTTP_CLIENT_ATTEMPT_TIMEOUT_MS: 2_000,
      HTTP_CLIENT_DEADLINE_MS: 5_000,
      HTTP_CLIENT_MAX_ATTEMPTS: 3,
      HTTP_CLIENT_RETRY_BUDGET_RATIO: 0.2,
      HTTP_CLIENT_BALANCER: 'weighted',
      HTTP_CLIENT_EJECT_MAX_PERCENT: 50,
    });
  });

  it('reads fractions and strategies', () => {
    const sut = loadEnv(HttpClientEnv, {
      HTTP_CLIENT_RETRY_BUDGET_RATIO: '0.05',
      HTTP_CLIENT_BALANCER: 'round-robin',
    });
    expect(sut.HTTP_CLIENT_RETRY_BUDGET_RATIO).toBe(0.05);
    expect(sut.HTTP_CLIENT_BALANCER).toBe('round-robin');
  });

  it.each([
    ['HTTP_CLIENT_ATTEMPT_TIMEOUT_MS', '5'],
    ['HTTP_CLIENT_MAX_ATTEMPTS', '0'],
    ['HTTP_CLIENT_MAX_ATTEMPTS', 'three'],
    ['HTTP_CLIENT_RETRY_BUDGET_RATIO', '1.5'],
    ['HTTP_CLIENT_RETRY_BUDGET_RATIO', '20%'],
    ['HTTP_CLIENT_BALANCER', 'random'],
    ['HTTP_CLIENT_EJECT_MAX_PERCENT', '101'],
  ])('rejects %s=%s, naming it', (variable, value) => {
    const attempt = () => loadEnv(HttpClientEnv, { [variable]: value });
    expect(attempt).toThrow(EnvValidationError);
    expect(attempt).toThrow(new RegExp(`${variable}:`));
  });
});
