import { AuthEnv, HttpEnv, LogEnv, MetricsEnv, PgEnv } from './env-schemas';
import { EnvValidationError, loadEnv, loadEnvs } from './load-env';

describe(loadEnv.name, () => {
  it('applies class defaults when variables are unset or empty', () => {
    const sut = loadEnv(PgEnv, { PG_URL: '' });
    expect(sut.PG_URL).toBe('postgres://postgres@127.0.0.1:5432/emporium');
    expect(sut.PG_POOL_MAX).toBe(10);
  });

  it('prefers the environment over per-app defaults over class defaults', () => {
    expect(loadEnv(HttpEnv, {}, { PORT: '3003' }).PORT).toBe(3003);
    expect(loadEnv(HttpEnv, { PORT: '4000' }, { PORT: '3003' }).PORT).toBe(4000);
  });

  it('converts numbers, booleans and lists', () => {
    expect(loadEnv(MetricsEnv, { METRICS_ENABLED: 'false' }).METRICS_ENABLED).toBe(false);
    expect(loadEnv(HttpEnv, { CORS_ORIGINS: 'https://a.test, https://b.test' }).CORS_ORIGINS).toEqual([
      'https://a.test',
      'https://b.test',
    ]);
  });

  it.each([
    [HttpEnv, 'PORT', 'eighty'],
    [HttpEnv, 'PORT', '70000'],
    [HttpEnv, 'PORT', '3.5'],
    [PgEnv, 'PG_URL', 'mysql://localhost/x'],
    [PgEnv, 'PG_POOL_MAX', '0'],
    [LogEnv, 'LOG_LEVEL', 'verbose'],
    [MetricsEnv, 'METRICS_ENABLED', 'yes'],
    [AuthEnv, 'AUTH_JWKS_URL', 'not a url'],
    [AuthEnv, 'AUTH_ISSUER', 'has space'],
  ])('%p rejects %s=%s and names the variable', (schema, variable, value) => {
    const attempt = () => loadEnv(schema as new () => object, { [variable]: value });
    expect(attempt).toThrow(EnvValidationError);
    expect(attempt).toThrow(new RegExp(`${variable}:`));
  });

  it('never echoes the rejected value, which may be a secret', () => {
    expect(() => loadEnv(PgEnv, { PG_URL: 'ftp://user:s3cret@db/x' })).toThrow(
      expect.objectContaining({ message: expect.not.stringContaining('s3cret') }),
    );
  });

  it('returns a frozen instance', () => {
    expect(Object.isFrozen(loadEnv(LogEnv, {}))).toBe(true);
  });
});

describe(loadEnvs.name, () => {
  it('reports every bad variable across schemas at once', () => {
    try {
      loadEnvs([HttpEnv, LogEnv], { PORT: 'x', LOG_LEVEL: 'loud' });
      throw new Error('expected a validation error');
    } catch (error) {
      expect(error).toBeInstanceOf(EnvValidationError);
      expect((error as EnvValidationError).problems.map((p) => p.variable).sort()).toEqual([
        'LOG_LEVEL',
        'PORT',
      ]);
    }
  });
});
