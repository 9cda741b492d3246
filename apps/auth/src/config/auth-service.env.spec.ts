import { EnvValidationError, loadEnv } from '@emporium/platform/config';

import { rateLimitOptions } from '../identity/rate-limits';
import { AdminBootstrapEnv, AuthRateLimitEnv, PasswordHashingEnv, SigningKeyEnv } from './auth-service.env';

function problemsOf(load: () => unknown): string[] {
  try {
    load();
  } catch (error) {
    if (error instanceof EnvValidationError) return error.problems.map((problem) => problem.variable);
    throw error;
  }
  return [];
}

describe('auth configuration', () => {
  it('defaults to the OWASP argon2id floor', () => {
    expect(loadEnv(PasswordHashingEnv, {})).toMatchObject({
      AUTH_ARGON2_MEMORY_KIB: 19_456,
      AUTH_ARGON2_TIME_COST: 2,
      AUTH_ARGON2_PARALLELISM: 1,
    });
  });

  it('refuses argon2 costs below the floor, naming each variable', () => {
    expect(
      problemsOf(() =>
        loadEnv(PasswordHashingEnv, { AUTH_ARGON2_MEMORY_KIB: '4096', AUTH_ARGON2_TIME_COST: '1' }),
      ),
    ).toEqual(['AUTH_ARGON2_MEMORY_KIB', 'AUTH_ARGON2_TIME_COST']);
  });

  it('accepts an admin when both variables are well-formed, or neither is set', () => {
    expect(problemsOf(() => loadEnv(AdminBootstrapEnv, {}))).toEqual([]);
    expect(
      problemsOf(() =>
        loadEnv(AdminBootstrapEnv, {
          AUTH_ADMIN_EMAIL: 'admin@example.com',
          AUTH_ADMIN_PASSWORD: 'long-enough',
        }),
      ),
    ).toEqual([]);
    expect(
      problemsOf(() =>
        loadEnv(AdminBootstrapEnv, { AUTH_ADMIN_EMAIL: 'admin', AUTH_ADMIN_PASSWORD: 'short' }),
      ),
    ).toEqual(['AUTH_ADMIN_EMAIL', 'AUTH_ADMIN_PASSWORD']);
  });

  it('never puts the value of a bad variable in the error', () => {
    const failure = (() => {
      try {
        loadEnv(AdminBootstrapEnv, { AUTH_ADMIN_PASSWORD: 'secret7' });
      } catch (error) {
        return error as Error;
      }
      return undefined;
    })();
    expect(failure?.message).toContain('AUTH_ADMIN_PASSWORD');
    expect(failure?.message).not.toContain('secret7');
  });

  it('accepts only true, false or nothing for AUTH_SIGNING_KEY_GENERATE', () => {
    expect(problemsOf(() => loadEnv(SigningKeyEnv, { AUTH_SIGNING_KEY_GENERATE: 'yes' }))).toEqual([
      'AUTH_SIGNING_KEY_GENERATE',
    ]);
    expect(loadEnv(SigningKeyEnv, { NODE_ENV: 'production' })).toMatchObject({
      AUTH_SIGNING_KEY_GENERATE: '',
      NODE_ENV: 'production',
    });
  });

  it('turns the rate variables into the four policies of the routes', () => {
    const env = loadEnv(AuthRateLimitEnv, { AUTH_RATE_LIMIT_LOGIN_ACCOUNT: '3/30m' });
    const policies = rateLimitOptions(env).policies.map(({ name, limit, windowMs }) => ({
      name,
      limit,
      windowMs,
    }));
    expect(policies).toEqual([
      { name: 'login-ip', limit: 20, windowMs: 60_000 },
      { name: 'login-account', limit: 3, windowMs: 1_800_000 },
      { name: 'register-ip', limit: 20, windowMs: 3_600_000 },
      { name: 'refresh-ip', limit: 60, windowMs: 60_000 },
    ]);
    expect(problemsOf(() => loadEnv(AuthRateLimitEnv, { AUTH_RATE_LIMIT_LOGIN_IP: 'lots' }))).toEqual([
      'AUTH_RATE_LIMIT_LOGIN_IP',
    ]);
  });
});
