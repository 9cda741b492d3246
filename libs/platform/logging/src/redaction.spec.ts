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
  const logger = pino({ redact: { paths: redactPaths(), censor: '[REDACTED]' } }, sink);
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
});
