import { Injectable } from '@nestjs/common';

/** A dependency check: resolves when the dependency answers, throws (with a short reason) when it does not. */
export type ReadinessCheck = () => Promise<void>;

/**
 * Where platform libs register what readiness depends on (database, broker, registry...). Each lib adds
 * its own check at start-up, so an app's readiness covers exactly the dependencies it was built with.
 */
@Injectable()
export class ReadinessRegistry {
  private readonly checks = new Map<string, ReadinessCheck>();

  register(name: string, check: ReadinessCheck): void {
    if (this.checks.has(name)) throw new Error(`Readiness check "${name}" is already registered`);
    this.checks.set(name, check);
  }

  entries(): [string, ReadinessCheck][] {
    return [...this.checks.entries()];
  }
}

/**
 * Whether the process is taking new work. Flipped once on SIGTERM so readiness answers 503 while in-flight
 * work drains and load balancers route elsewhere.
 */
@Injectable()
export class LifecycleState {
  private draining = false;

  beginShutdown(): void {
    this.draining = true;
  }

  get isShuttingDown(): boolean {
    return this.draining;
  }
}
