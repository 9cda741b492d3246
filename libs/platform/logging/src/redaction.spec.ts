import { Writable } from 'node:stream';

import pino from 'pino';

import { redactPaths, SENSITIVE_FIELDS } from './redaction';

function captureLogger(): { logger: pino.Logger; lines: () => string[] } {
  const chunks: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      chunks.push(chunk.toString());
      done();
    },
  });
  const logger = pino(
    { redact: { paths: redactPaths(), censor: '[REDACTED]' }, serializers: { err: pino.stdSerializers.err } },
    sink,
  );
  return { logger, lines: () => chunks.join('').trim().split('\n') };
}

describe('redaction', () => {
  it.each(SENSITIVE_FIELDS)('hides %s at the top level and nested up to three levels', (field) => {
    const { logger, lines } = captureLogger();
    const secret = `secret-value-${field}`;
    logger.info({ [field]: secret, a: { [field]: secret, b: { [field]: secret, c: { [field]: secret } } } });
    expect(lines()[0]).not.toContain(secret);
    expect(lines()[0]).toContain('[REDACTED]');
  });

  it('hides authorization and cookie headers but keeps other fields', () => {
    const { logger, lines } = captureLogger();
    logger.info({
      req: { headers: { authorization: 'Bearer abc.def.ghi', cookie: 'sid=1', accept: 'application/json' } },
    });
    const line = JSON.parse(lines()[0]) as { req: { headers: Record<string, string> } };
    expect(line.req.headers).toEqual({
      authorization: '[REDACTED]',
      cookie: '[REDACTED]',
      accept: 'application/json',
    });
  });

  it("hides a failed query's bound values on a logged error (TypeORM's QueryFailedError.parameters)", () => {
    const { logger, lines } = captureLogger();
    const error = Object.assign(new Error('duplicate key value violates unique constraint'), {
      query: 'INSERT INTO auth.credentials (email, password_hash) VALUES ($1, $2)',
      parameters: ['ada@example.com', '$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA'],
    });
    logger.error({ err: error }, 'request failed');
    expect(lines()[0]).not.toContain('argon2id');
    expect(lines()[0]).toContain('duplicate key value');
  });
});
