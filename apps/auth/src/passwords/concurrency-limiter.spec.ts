import { ConcurrencyLimiter, ConcurrencyLimitExceeded } from './concurrency-limiter';

interface Gate {
  promise: Promise<void>;
  open(): void;
}

function gate(): Gate {
  let open!: () => void;
  const promise = new Promise<void>((resolve) => (open = resolve));
  return { promise, open };
}

const flush = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe(ConcurrencyLimiter.name, () => {
  it('runs at most maxConcurrent tasks at once, the rest in arrival order', async () => {
    const sut = new ConcurrencyLimiter(2, 10);
    const gates = [gate(), gate(), gate(), gate()];
    const started: number[] = [];
    const results = gates.map((g, i) =>
      sut.run(async () => {
        started.push(i);
        await g.promise;
        return i;
      }),
    );
    await flush();
    expect(started).toEqual([0, 1]);
    expect(sut.active).toBe(2);
    expect(sut.queued).toBe(2);
    gates[1].open();
    await flush();
    expect(started).toEqual([0, 1, 2]);
    gates[0].open();
    gates[2].open();
    gates[3].open();
    await expect(Promise.all(results)).resolves.toEqual([0, 1, 2, 3]);
    expect(sut.active).toBe(0);
    expect(sut.queued).toBe(0);
  });

  it('refuses a task when the queue is full, without running it', async () => {
    const sut = new ConcurrencyLimiter(1, 1);
    const hold = gate();
    const first = sut.run(() => hold.promise);
    const second = sut.run(async () => 'second');
    const third = jest.fn(async () => 'third');
    await expect(sut.run(third)).rejects.toBeInstanceOf(ConcurrencyLimitExceeded);
    expect(third).not.toHaveBeenCalled();
    hold.open();
    await first;
    await expect(second).resolves.toBe('second');
  });

  it('frees the slot when a task fails', async () => {
    const sut = new ConcurrencyLimiter(1, 0);
    await expect(sut.run(() => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    await expect(sut.run(async () => 'next')).resolves.toBe('next');
    expect(sut.active).toBe(0);
  });

  it('refuses nonsensical limits', () => {
    expect(() => new ConcurrencyLimiter(0, 1)).toThrow();
    expect(() => new ConcurrencyLimiter(1, -1)).toThrow();
  });
});
