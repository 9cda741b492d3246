import { Logger, OnApplicationShutdown } from '@nestjs/common';

import { ConsulClient, describeConsulError, settled } from './consul-client';
import { baseUrlOf, RegistryUnavailableError, ServiceDiscovery, ServiceInstance } from './service-discovery';
import { TokenBucket } from './token-bucket';

export interface ConsulDiscoveryOptions {
  /** `wait` of each blocking query. */
  waitMs: number;
  /** How long the first call for a service waits for the agent's first answer. */
  firstAnswerTimeoutMs: number;
  /** Longest pause between attempts while the agent is unreachable. */
  retryMaxMs: number;
  /** Blocking queries per service: two at once, then at most one per this period (Consul's guidance). */
  minQueryIntervalMs?: number;
}

type Outcome = { instances: readonly ServiceInstance[] } | { error: unknown };
type Watch = ReturnType<ConsulClient['watch']>;

/**
 * Healthy instances from Consul (`/v1/health/service/<name>?passing`), kept live by one blocking query per
 * service (index + wait, through the consul client's Watch): a change is seen as soon as Consul has it, and an
 * idle watch costs one request per `waitMs`. The loop is rate limited, and backs off while the agent is
 * unreachable, serving the last set it saw.
 */
export class ConsulDiscovery extends ServiceDiscovery implements OnApplicationShutdown {
  readonly kind = 'consul';
  private readonly watches = new Map<string, HealthWatch>();
  private closed = false;

  constructor(
    private readonly consul: ConsulClient,
    private readonly options: ConsulDiscoveryOptions,
  ) {
    super();
  }

  async instances(service: string, signal?: AbortSignal): Promise<readonly ServiceInstance[]> {
    if (this.closed) throw new RegistryUnavailableError(service);
    return this.watchOf(service).current(this.options.firstAnswerTimeoutMs, signal);
  }

  knows(): boolean {
    return true;
  }

  override prefetch(services: readonly string[]): void {
    if (this.closed) return;
    for (const service of services) this.watchOf(service);
  }

  /** After in-flight requests have finished (they may still need instances): stops every watch. */
  onApplicationShutdown(): void {
    this.close();
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const watch of this.watches.values()) watch.end();
    this.watches.clear();
    this.consul.destroy();
  }

  private watchOf(service: string): HealthWatch {
    let watch = this.watches.get(service);
    if (!watch) {
      watch = new HealthWatch(service, this.consul, this.options);
      this.watches.set(service, watch);
    }
    return watch;
  }
}

class HealthWatch {
  private readonly logger = new Logger(ConsulDiscovery.name);
  private readonly stopped = new AbortController();
  private readonly waiters = new Set<(outcome: Outcome) => void>();
  private readonly limiter: TokenBucket;
  private known: readonly ServiceInstance[] | undefined;
  private failing = false;
  private watch: Watch | undefined;
  private restartTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly service: string,
    private readonly consul: ConsulClient,
    private readonly options: ConsulDiscoveryOptions,
  ) {
    this.limiter = new TokenBucket(2, options.minQueryIntervalMs ?? 1_000);
    this.start();
  }

  /** The current set, or the first one once it arrives; rejects when the agent cannot be reached first. */
  current(timeoutMs: number, signal?: AbortSignal): Promise<readonly ServiceInstance[]> {
    if (this.known) return Promise.resolve(this.known);
    return new Promise((resolve, reject) => {
      const finish = (outcome: Outcome): void => {
        clearTimeout(timer);
        this.waiters.delete(finish);
        signal?.removeEventListener('abort', onAbort);
        if ('instances' in outcome) resolve(outcome.instances);
        else reject(outcome.error as Error);
      };
      const onAbort = (): void => finish({ error: signal?.reason });
      const timer = setTimeout(
        () => finish({ error: new RegistryUnavailableError(this.service) }),
        timeoutMs,
      );
      this.waiters.add(finish);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  end(): void {
    this.stopped.abort(new RegistryUnavailableError(this.service));
    clearTimeout(this.restartTimer);
    this.watch?.end();
    this.settle({ error: new RegistryUnavailableError(this.service) });
  }

  private start(): void {
    const watch = this.consul.watch({
      // Each round waits for a token first, so a result that keeps changing cannot spin the loop.
      method: (options: { service: string }) =>
        this.limiter.take(this.stopped.signal).then(() => settled(this.consul.health.service(options))),
      options: { service: this.service, passing: 'true', wait: `${this.options.waitMs}ms` },
      backoffFactor: 100,
      backoffMax: this.options.retryMaxMs,
    });
    watch.on('change', (data: unknown) => this.update(toInstances(this.service, data)));
    watch.on('error', (error: unknown) => this.fail(error));
    // The client ends a watch by itself on a 400 from the agent; keep trying, slowly, unless we stopped it.
    watch.on('end', () => {
      if (this.stopped.signal.aborted) return;
      this.restartTimer = setTimeout(() => this.start(), this.options.retryMaxMs);
      this.restartTimer.unref();
    });
    this.watch = watch;
  }

  private update(instances: readonly ServiceInstance[]): void {
    if (this.stopped.signal.aborted) return;
    if (this.failing) {
      this.failing = false;
      this.logger.log(
        `Registry watch for ${this.service} recovered: ${instances.length} healthy instance(s)`,
      );
    }
    this.known = instances;
    this.settle({ instances });
  }

  private fail(error: unknown): void {
    if (this.stopped.signal.aborted) return;
    if (!this.failing) {
      this.failing = true;
      const serving = this.known
        ? `serving the ${this.known.length} last known instance(s)`
        : 'no instance known yet';
      this.logger.warn(
        `Registry watch for ${this.service} failing (${describeConsulError(error)}); ${serving}`,
      );
    }
    // Callers waiting for a first answer fail fast instead of waiting out their timeout.
    if (!this.known) this.settle({ error: new RegistryUnavailableError(this.service) });
  }

  private settle(outcome: Outcome): void {
    for (const waiter of [...this.waiters]) waiter(outcome);
  }
}

interface HealthEntry {
  Node?: { Address?: unknown };
  Service?: { ID?: unknown; Address?: unknown; Port?: unknown; Tags?: unknown; Meta?: unknown };
}

/** Maps `/v1/health/service` entries to instances; the service address wins over the node's, as in Consul. */
export function toInstances(service: string, data: unknown): ServiceInstance[] {
  if (!Array.isArray(data)) return [];
  return (data as HealthEntry[])
    .flatMap((entry): ServiceInstance[] => {
      const definition = entry?.Service;
      const nodeAddress = typeof entry?.Node?.Address === 'string' ? entry.Node.Address : '';
      const address =
        typeof definition?.Address === 'string' && definition.Address !== ''
          ? definition.Address
          : nodeAddress;
      if (typeof definition?.ID !== 'string' || typeof definition.Port !== 'number' || address === '')
        return [];
      const meta = stringRecord(definition.Meta);
      return [
        Object.freeze({
          id: definition.ID,
          service,
          baseUrl: baseUrlOf(address, definition.Port, meta['scheme'] === 'https' ? 'https' : 'http'),
          address,
          port: definition.Port,
          tags: Array.isArray(definition.Tags)
            ? definition.Tags.filter((tag) => typeof tag === 'string')
            : [],
          meta,
        }),
      ];
    })
    .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

function stringRecord(value: unknown): Record<string, string> {
  if (typeof value !== 'object' || value === null) return {};
  return Object.fromEntries(
    Object.entries(value).filter((entry): entry is [string, string] => typeof entry[1] === 'string'),
  );
}
