import { ServiceInstance } from './service-discovery';

export const BALANCING_STRATEGIES = ['weighted', 'round-robin'] as const;
export type BalancingStrategy = (typeof BALANCING_STRATEGIES)[number];

/** Envoy-style outlier ejection: an instance that keeps failing is taken out for a while, then let back in. */
export interface OutlierEjectionOptions {
  /** Consecutive failures (5xx, timeouts, refused connections) that eject an instance; 0 turns ejection off. */
  consecutiveFailures: number;
  /** How long the first ejection lasts; the n-th ejection in a row lasts n times this, up to maxEjectionMs. */
  baseEjectionMs: number;
  maxEjectionMs: number;
  /** Most of the instances that may be out at once, from 0 to 1 (rounded down: with one instance, none). */
  maxEjectedRatio: number;
}

export interface LoadBalancerOptions {
  strategy: BalancingStrategy;
  ejection: OutlierEjectionOptions;
  /** Injected for deterministic tests; Math.random otherwise. */
  random?: () => number;
  now?: () => number;
}

/** What the balancer knows about one instance, for tests and diagnostics. */
export interface InstanceStats {
  /** Moving average of answer times, ms; undefined until the first answer. */
  latencyMs?: number;
  /** Moving average of the success rate, 1 when new. */
  successRate: number;
  consecutiveFailures: number;
  /** Ejections in a row; the next one lasts one more base period. */
  ejections: number;
  /** Epoch ms until which the instance is out; undefined when it is in. */
  ejectedUntil?: number;
}

// Moving-average weights: recent answers count most, a single slow answer does not swing the choice.
const LATENCY_ALPHA = 0.3;
const SUCCESS_ALPHA = 0.2;
// Loopback answers can take well under a millisecond; below this the ratio between two fast instances is noise.
const LATENCY_FLOOR_MS = 1;
// A failing instance keeps at least this share of its latency weight, so it can show it has recovered.
const SUCCESS_RATE_FLOOR = 0.05;
// No instance gets less than this fraction of the best instance's weight: a slow instance still receives
// some traffic, so its average keeps following reality instead of freezing at one bad answer.
const MIN_RELATIVE_WEIGHT = 0.1;

/**
 * Weighted-random weights: inverse of the average latency, scaled by the success rate (an instance that
 * fails gets less traffic before it is ejected), floored at a tenth of the best weight. Instances with no
 * answer yet are weighed at the mean latency of the others, so a new instance gets a fair share at once.
 */
export function balancingWeights(
  stats: readonly Pick<InstanceStats, 'latencyMs' | 'successRate'>[],
): number[] {
  const known = stats.flatMap((s) => (s.latencyMs === undefined ? [] : [s.latencyMs]));
  const fallback = known.length > 0 ? known.reduce((a, b) => a + b, 0) / known.length : LATENCY_FLOOR_MS;
  const raw = stats.map(
    (s) => Math.max(s.successRate, SUCCESS_RATE_FLOOR) / Math.max(s.latencyMs ?? fallback, LATENCY_FLOOR_MS),
  );
  const best = Math.max(...raw);
  return raw.map((weight) => Math.max(weight, best * MIN_RELATIVE_WEIGHT));
}

/**
 * Picks an instance of one target service per attempt and learns from the outcomes the caller reports:
 * round robin, or weighted random by observed latency and success rate; instances that fail
 * `consecutiveFailures` times in a row are ejected for a while and re-admitted when the time is up.
 * One per target, shared by every call to it. Instances are compared by id, so a new set from discovery
 * keeps the statistics of the instances it still holds.
 */
export class LoadBalancer {
  private readonly stats = new Map<string, InstanceStats>();
  private readonly random: () => number;
  private readonly now: () => number;
  private lastSet: readonly ServiceInstance[] = [];
  private cursor = 0;

  constructor(private readonly options: LoadBalancerOptions) {
    this.random = options.random ?? Math.random;
    this.now = options.now ?? Date.now;
  }

  /**
   * The instance for the next attempt, avoiding the ids in `avoid` (those already tried by this call)
   * when another one is available. Ejected instances are skipped; if discovery's set holds only ejected
   * ones (it changed under us), they are used anyway rather than failing. Undefined only for an empty set.
   */
  pick(instances: readonly ServiceInstance[], avoid?: ReadonlySet<string>): ServiceInstance | undefined {
    if (instances.length === 0) return undefined;
    if (instances !== this.lastSet) this.track(instances);
    const now = this.now();
    const admitted = instances.filter((instance) => !this.isEjectedAt(instance.id, now));
    const eligible = admitted.length > 0 ? admitted : instances;
    const fresh = avoid && avoid.size > 0 ? eligible.filter((instance) => !avoid.has(instance.id)) : eligible;
    const candidates = fresh.length > 0 ? fresh : eligible;
    if (candidates.length === 1) return candidates[0];
    if (this.options.strategy === 'round-robin') {
      this.cursor = (this.cursor + 1) % Number.MAX_SAFE_INTEGER;
      return candidates[this.cursor % candidates.length];
    }
    const weights = balancingWeights(candidates.map((instance) => this.statsOf(instance.id)));
    const total = weights.reduce((a, b) => a + b, 0);
    let point = this.random() * total;
    for (let i = 0; i < candidates.length; i++) {
      point -= weights[i];
      if (point < 0) return candidates[i];
    }
    return candidates[candidates.length - 1];
  }

  /** An answer that was not a server failure (2xx-4xx), after `latencyMs`. */
  recordSuccess(instanceId: string, latencyMs: number): void {
    const stats = this.statsOf(instanceId);
    stats.latencyMs = average(stats.latencyMs, latencyMs, LATENCY_ALPHA);
    stats.successRate = average(stats.successRate, 1, SUCCESS_ALPHA);
    stats.consecutiveFailures = 0;
    if (stats.ejectedUntil === undefined && stats.ejections > 0) stats.ejections -= 1;
  }

  /** A 5xx, a timeout or a failed connection. May eject the instance. */
  recordFailure(instanceId: string, latencyMs?: number): void {
    const stats = this.statsOf(instanceId);
    if (latencyMs !== undefined) stats.latencyMs = average(stats.latencyMs, latencyMs, LATENCY_ALPHA);
    stats.successRate = average(stats.successRate, 0, SUCCESS_ALPHA);
    stats.consecutiveFailures += 1;
    const { consecutiveFailures, baseEjectionMs, maxEjectionMs } = this.options.ejection;
    const now = this.now();
    if (
      consecutiveFailures > 0 &&
      stats.consecutiveFailures >= consecutiveFailures &&
      !this.isEjectedAt(instanceId, now) &&
      this.ejectedCount(now) < this.maxEjected()
    ) {
      stats.ejections += 1;
      stats.ejectedUntil = now + Math.min(baseEjectionMs * stats.ejections, maxEjectionMs);
    }
  }

  isEjected(instanceId: string): boolean {
    return this.isEjectedAt(instanceId, this.now());
  }

  /** A copy of what is known about an instance. */
  statsFor(instanceId: string): InstanceStats | undefined {
    const stats = this.stats.get(instanceId);
    return stats ? { ...stats } : undefined;
  }

  /** Instances of the current set that are out now. */
  ejectedCount(now: number = this.now()): number {
    return this.lastSet.filter((instance) => this.isEjectedAt(instance.id, now)).length;
  }

  private maxEjected(): number {
    return Math.floor(this.lastSet.length * this.options.ejection.maxEjectedRatio);
  }

  /** Whether the instance is out; an ejection whose time is up ends here (timed re-admission). */
  private isEjectedAt(instanceId: string, now: number): boolean {
    const stats = this.stats.get(instanceId);
    if (stats?.ejectedUntil === undefined) return false;
    if (stats.ejectedUntil > now) return true;
    stats.ejectedUntil = undefined;
    stats.consecutiveFailures = 0;
    return false;
  }

  private statsOf(instanceId: string): InstanceStats {
    let stats = this.stats.get(instanceId);
    if (!stats) {
      stats = { successRate: 1, consecutiveFailures: 0, ejections: 0 };
      this.stats.set(instanceId, stats);
    }
    return stats;
  }

  /** Forgets instances that left the set, so the map does not grow with every instance ever seen. */
  private track(instances: readonly ServiceInstance[]): void {
    const ids = new Set(instances.map((instance) => instance.id));
    for (const id of this.stats.keys()) if (!ids.has(id)) this.stats.delete(id);
    this.lastSet = instances;
  }
}

function average(previous: number | undefined, sample: number, alpha: number): number {
  return previous === undefined ? sample : previous + alpha * (sample - previous);
}
