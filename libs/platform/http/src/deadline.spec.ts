import Fastify, { FastifyInstance } from 'fastify';

import {
  currentDeadline,
  DeadlineExceededError,
  MAX_REQUEST_TIMEOUT_MS,
  parseRequestTimeout,
  registerRequestDeadlines,
  remainingMs,
  REQUEST_TIMEOUT_HEADER,
  RequestDeadline,
  runWithDeadline,
} from './deadline';

describe(parseRequestTimeout.name, () => {
  it.each([
    ['250', 250],
    ['0', 0],
    [String(MAX_REQUEST_TIMEOUT_MS + 1), MAX_REQUEST_TIMEOUT_MS],
  ])('reads %p as %p ms', (value, expected) => {
    expect(parseRequestTimeout(value)).toBe(expected);
  });

  it.each([undefined, '', 'abc', '-5', '1.5', '1e3', ' 10', '9999999999', ['10', '20']])(
    'ignores %p',
    (value) => {
      expect(parseRequestTimeout(value)).toBeUndefined();
    },
  );
});

describe(registerRequestDeadlines.name, () => {
  let sut: FastifyInstance;
  let seen: { deadline: RequestDeadline | undefined; reason?: unknown }[];

  beforeEach(async () => {
    seen = [];
    sut = Fastify();
    registerRequestDeadlines(sut);
    sut.get('/now', async () => {
      const deadline = currentDeadline();
      seen.push({ deadline });
      return { remaining: deadline ? remainingMs(deadline) : null };
    });
    // A handler that waits until its deadline aborts it, as a cancellable dependency call would.
    sut.get('/slow', async () => {
      const deadline = currentDeadline();
      const entry: { deadline: RequestDeadline | undefined; reason?: unknown } = { deadline };
      seen.push(entry);
      await new Promise<void>((resolve) => deadline?.signal.addEventListener('abort', () => resolve()));
      entry.reason = deadline?.signal.reason;
      return { late: true };
    });
    await sut.ready();
  });

  afterEach(async () => {
    await sut.close();
  });

  it('leaves requests without the header alone', async () => {
    const response = await sut.inject({ method: 'GET', url: '/now' });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({ remaining: null });
  });

  it('exposes the remaining budget to the handler', async () => {
    const response = await sut.inject({
      method: 'GET',
      url: '/now',
      headers: { [REQUEST_TIMEOUT_HEADER]: '5000' },
    });
    const { remaining } = response.json<{ remaining: number }>();
    expect(remaining).toBeGreaterThan(0);
    expect(remaining).toBeLessThanOrEqual(5000);
    expect(seen[0].deadline?.signal.aborted).toBe(false);
  });

  it('answers 504 without running the handler when the budget is already spent', async () => {
    const response = await sut.inject({
      method: 'GET',
      url: '/now',
      headers: { [REQUEST_TIMEOUT_HEADER]: '0' },
    });
    expect(response.statusCode).toBe(504);
    expect(response.headers['content-type']).toContain('application/problem+json');
    expect(response.json()).toMatchObject({ status: 504, code: 'DEADLINE_EXCEEDED' });
    expect(seen).toHaveLength(0);
  });

  it('answers 504 and aborts the handler signal when the deadline passes mid-request', async () => {
    const response = await sut.inject({
      method: 'GET',
      url: '/slow',
      headers: { [REQUEST_TIMEOUT_HEADER]: '30' },
    });
    expect(response.statusCode).toBe(504);
    expect(response.json()).toMatchObject({ code: 'DEADLINE_EXCEEDED', instance: '/slow' });
    await waitFor(() => seen[0]?.reason !== undefined);
    expect(seen[0].reason).toBeInstanceOf(DeadlineExceededError);
  });

  it('ignores a malformed header', async () => {
    const response = await sut.inject({
      method: 'GET',
      url: '/now',
      headers: { [REQUEST_TIMEOUT_HEADER]: 'soon' },
    });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({ remaining: null });
  });
});

describe(runWithDeadline.name, () => {
  it('sets a deadline for the work and clears it afterwards', async () => {
    const inside = await runWithDeadline(5_000, async () => currentDeadline());
    expect(inside?.expiresAt).toBeGreaterThan(Date.now());
    expect(currentDeadline()).toBeUndefined();
  });

  it('keeps the sooner of a nested and an outer deadline', async () => {
    await runWithDeadline(1_000, async () => {
      const outer = currentDeadline() as RequestDeadline;
      const inner = await runWithDeadline(60_000, async () => currentDeadline());
      expect(inner?.expiresAt).toBe(outer.expiresAt);
    });
  });

  it('aborts the signal when the deadline passes', async () => {
    const reason = await runWithDeadline(
      20,
      async () =>
        new Promise<unknown>((resolve) => {
          const signal = currentDeadline()?.signal;
          signal?.addEventListener('abort', () => resolve(signal.reason));
        }),
    );
    expect(reason).toBeInstanceOf(DeadlineExceededError);
  });
});

async function waitFor(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !condition(); i++) await new Promise((resolve) => setTimeout(resolve, 10));
  if (!condition()) throw new Error('condition not met');
}
