/** Thrown by ConcurrencyLimiter.run when the queue is full: the caller should shed the request. */
export class ConcurrencyLimitExceeded extends Error {
  constructor() {
    super('Too many tasks waiting');
    this.name = ConcurrencyLimitExceeded.name;
  }
}

/**
 * Runs at most `maxConcurrent` tasks at once and lets at most `maxQueued` wait, first come first served.
 * Password hashing needs it: every argon2 call takes a libuv thread and tens of MiB for tens of ms, so an
 * unbounded burst would starve the threadpool (DNS, file I/O) and the pod's memory instead of queueing.
 */
export class ConcurrencyLimiter {
  private running = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(
    private readonly maxConcurrent: number,
    private readonly maxQueued: number,
  ) {
    if (!Number.isInteger(maxConcurrent) || maxConcurrent < 1) throw new Error('maxConcurrent must be >= 1');
    if (!Number.isInteger(maxQueued) || maxQueued < 0) throw new Error('maxQueued must be >= 0');
  }

  get active(): number {
    return this.running;
  }

  get queued(): number {
    return this.waiting.length;
  }

  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.running >= this.maxConcurrent) {
      if (this.waiting.length >= this.maxQueued) throw new ConcurrencyLimitExceeded();
      // The slot is handed over by release(), so `running` never drops between two tasks.
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    } else {
      this.running += 1;
    }
    try {
      return await task();
    } finally {
      this.release();
    }
  }

  private release(): void {
    const next = this.waiting.shift();
    if (next) next();
    else this.running -= 1;
  }
}
