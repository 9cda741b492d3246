import { sleep, TokenBucket } from './token-bucket';

describe(TokenBucket.name, () => {
  it('allows a burst of its capacity, then one call per refill period', () => {
    let now = 0;
    const sut = new TokenBucket(2, 1_000, () => now);
    expect([sut.tryTake(), sut.tryTake(), sut.tryTake()]).toEqual([true, true, false]);
    expect(sut.waitMs()).toBe(1_000);
    now = 400;
    expect(sut.tryTake()).toBe(false);
    expect(sut.waitMs()).toBe(600);
    now = 1_000;
    expect(sut.tryTake()).toBe(true);
    now = 10_000;
    expect([sut.tryTake(), sut.tryTake(), sut.tryTake()]).toEqual([true, true, false]);
  });

  it('waits for a token, and gives up when its signal aborts', async () => {
    const sut = new TokenBucket(1, 60_000);
    await sut.take();
    const controller = new AbortController();
    const waiting = sut.take(controller.signal);
    controller.abort(new Error('stopped'));
    await expect(waiting).rejects.toThrow('stopped');
  });
});

describe(sleep.name, () => {
  it('rejects at once with the reason of an aborted signal', async () => {
    await expect(sleep(60_000, AbortSignal.abort(new Error('gone')))).rejects.toThrow('gone');
  });
});
