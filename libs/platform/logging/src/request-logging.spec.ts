import { Writable } from 'node:stream';

import pino from 'pino';

import { contextMixin } from './logging.module';
import {
  currentRequestId,
  registerRequestLogging,
  RequestHooksTarget,
  runWithRequestId,
} from './request-logging';

type Hook = Parameters<RequestHooksTarget['addHook']>[1];

function setup(level = 'info') {
  const lines: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString().trim().split('\n'))
        lines.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  const logger = pino({ level, mixin: contextMixin }, sink);
  const hooks: Record<string, Hook> = {};
  const target = {
    addHook: (name: string, hook: Hook) => {
      hooks[name] = hook;
    },
  } as unknown as RequestHooksTarget;
  registerRequestLogging(target, logger);
  return { lines, logger, hooks };
}

const request = (url: string, id = 'req-42') => ({
  id,
  method: 'GET',
  url,
  headers: { 'user-agent': 'test' },
});

describe(registerRequestLogging.name, () => {
  it('puts the request id on every line logged while the request is served', () => {
    const sut = setup();
    let seen: string | undefined;
    sut.hooks['onRequest'](request('/api/v1/x'), { statusCode: 200, elapsedTime: 1 }, () => {
      seen = currentRequestId();
      sut.logger.info('inside the handler');
    });
    expect(seen).toBe('req-42');
    expect(sut.lines[0]).toMatchObject({ msg: 'inside the handler', requestId: 'req-42' });
    expect(currentRequestId()).toBeUndefined();
  });

  it.each([
    [200, 'info'],
    [404, 'warn'],
    [503, 'error'],
  ])('writes one line for a %i response at %s', (statusCode, level) => {
    const sut = setup();
    const done = jest.fn();
    sut.hooks['onResponse'](request('/api/v1/x?q=1'), { statusCode, elapsedTime: 3.14159 }, done);
    expect(done).toHaveBeenCalledTimes(1);
    expect(sut.lines).toEqual([
      expect.objectContaining({
        level: pino.levels.values[level],
        msg: 'request completed',
        requestId: 'req-42',
        req: { method: 'GET', url: '/api/v1/x?q=1', userAgent: 'test' },
        res: { statusCode },
        responseTime: 3.14,
      }),
    ]);
  });

  it('skips probes and lines below the level', () => {
    const sut = setup('warn');
    sut.hooks['onResponse'](request('/health/ready'), { statusCode: 503, elapsedTime: 1 }, jest.fn());
    sut.hooks['onResponse'](request('/metrics'), { statusCode: 200, elapsedTime: 1 }, jest.fn());
    sut.hooks['onResponse'](request('/api/v1/x'), { statusCode: 200, elapsedTime: 1 }, jest.fn());
    expect(sut.lines).toEqual([]);
  });
});

describe(runWithRequestId.name, () => {
  it('gives work outside a request (a broker message) its request id, for as long as it runs', async () => {
    const sut = setup();
    const seen = await runWithRequestId('msg-7', async () => {
      await new Promise((resolve) => setImmediate(resolve));
      sut.logger.info('handling a message');
      return currentRequestId();
    });
    expect(seen).toBe('msg-7');
    expect(sut.lines[0]).toMatchObject({ msg: 'handling a message', requestId: 'msg-7' });
    expect(currentRequestId()).toBeUndefined();
  });
});
