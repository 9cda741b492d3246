const BUCKET_MS = 1_000;

interface Bucket {
  second: number;
  calls: number;
  retries: number;
}

/**
 * Finagle's retry budget: over a sliding window, retries may add at most `ratio` of the calls made, plus
 * `minPerSecond` retries per second so that a caller with little traffic can still retry. When a target is
 * down, every call fails and most would be retried; the budget keeps retries from multiplying the load on a
 * service that is already struggling.
 */
export class RetryBudget {
  private readonly buckets: Bucket[];

  constructor(
    private readonly ratio: number,
    private readonly minPerSecond: number,
    private readonly windowMs = 10_000,
    private readonly now: () => number = Date.now,
  ) {
    this.buckets = Array.from({ length: Math.max(1, Math.ceil(windowMs / BUCKET_MS)) }, () => ({
      second: -1,
      calls: 0,
      retries: 0,
    }));
  }

  /** Counts one call (not its retries). */
  deposit(): void {
    this.current().calls += 1;
  }

  /** Takes one retry from the budget; false when it is spent. */
  tryWithdraw(): boolean {
    const { calls, retries } = this.totals();
    const allowed = this.minPerSecond * (this.windowMs / BUCKET_MS) + this.ratio * calls;
    if (retries + 1 > allowed) return false;
    this.current().retries += 1;
    return true;
  }

  private current(): Bucket {
    const second = Math.floor(this.now() / BUCKET_MS);
    const bucket = this.buckets[second % this.buckets.length];
    if (bucket.second !== second) {
      bucket.second = second;
      bucket.calls = 0;
      bucket.retries = 0;
    }
    return bucket;
  }

  private totals(): { calls: number; retries: number } {
    const oldest = Math.floor(this.now() / BUCKET_MS) - this.buckets.length + 1;
    let calls = 0;
    let retries = 0;
    for (const bucket of this.buckets) {
      if (bucket.second < oldest) continue;
      calls += bucket.calls;
      retries += bucket.retries;
    }
    return { calls, retries };
  }
}
