import { hostname, NetworkInterfaceInfo, networkInterfaces } from 'node:os';

import { LifecycleState, ReadinessRegistry } from '@emporium/platform/health';
import { BeforeApplicationShutdown, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { ExponentialBackoff, fullJitterGenerator, IBackoff } from 'cockatiel';

import {
  agentStatusOf,
  CallControl,
  ConsulCallContext,
  ConsulClient,
  describeConsulError,
  settled,
} from './consul-client';
import { CheckKind } from './discovery-env';
import { sleep } from './token-bucket';

/** The readiness check this lib registers. */
export const REGISTRY_CHECK = 'registry';

/** A readiness check's deadline, as the health controller applies it. */
const READINESS_CHECK_TIMEOUT_MS = 2_000;

export interface RegistrationSettings {
  /** Service name, e.g. `product`. */
  name: string;
  version: string;
  /** Advertised address; `advertisedAddress()` when undefined. */
  address?: string;
  /** Advertised port; the port the HTTP server listens on when undefined. */
  port?: number;
  check: CheckKind;
  checkIntervalMs: number;
  checkTimeoutMs: number;
  deregisterCriticalAfterMs: number;
  requestTimeoutMs: number;
  retryMaxMs: number;
}

/** Where the registrar learns that (and on which port) the HTTP server listens. */
export interface ListeningServer {
  readonly listening: boolean;
  address(): unknown;
  once(event: 'listening', listener: () => void): unknown;
  off(event: 'listening', listener: () => void): unknown;
}

/** What was registered, for logs and tests. */
export interface Registration {
  readonly serviceId: string;
  readonly checkId: string;
  readonly address: string;
  readonly port: number;
}

/**
 * Registers this instance with the Consul agent once its HTTP server listens, keeps the registration
 * alive, and deregisters on shutdown. Never blocks start-up: while the agent is unreachable it retries in
 * the background with exponential backoff and full jitter (capped at `retryMaxMs`), and readiness reports
 * `registry` down. Every check interval it either reports readiness (TTL check) or makes sure the
 * registration still exists (HTTP check), and registers again if the agent lost it (an agent restart).
 * An application context without an HTTP server (a one-shot command) never registers.
 */
export class ConsulRegistrar implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('ServiceRegistry');
  private readonly stopping = new AbortController();
  private registration: Registration | undefined;
  private registered = false;
  private attempted = false;
  private reachable = false;
  private failures = 0;
  private backoff: IBackoff<unknown> | undefined;
  private inFlight: ConsulCallContext | undefined;

  constructor(
    private readonly consul: ConsulClient,
    private readonly settings: RegistrationSettings,
    private readonly readiness: ReadinessRegistry,
    private readonly lifecycle: LifecycleState,
    /** The app's HTTP server; undefined in an application context (a one-shot command), which never registers. */
    private readonly serverOf: () => ListeningServer | undefined,
  ) {}

  /** Starts the background work and returns at once: start-up never waits for the registry. */
  onApplicationBootstrap(): void {
    const server = this.serverOf();
    if (!server) return;
    this.readiness.register(REGISTRY_CHECK, async () => this.assertReady());
    void this.run(server).catch((error: unknown) => {
      if (!this.stopping.signal.aborted)
        this.logger.error(`Registry loop stopped: ${describeConsulError(error)}`);
    });
  }

  /** Whether the instance is registered and the agent answered the last call. */
  get healthy(): boolean {
    return this.registered && this.reachable;
  }

  get current(): Registration | undefined {
    return this.registration;
  }

  /**
   * Before the HTTP server closes, so callers stop choosing this instance while in-flight requests finish.
   * Bounded: one agent call of at most `requestTimeoutMs`; a failure is logged (Consul then drops the
   * instance when its check fails and, later, deregisters it).
   */
  async beforeApplicationShutdown(): Promise<void> {
    // From here the loop sends nothing more (control() refuses), and its call in flight is cut short.
    this.stopping.abort();
    this.inFlight?.cancel();
    const registration = this.registration;
    if (!registration || !this.attempted) return;
    try {
      await settled(
        this.consul.agent.service.deregister(this.control({ id: registration.serviceId }, 'shutdown')),
      );
      this.logger.log(`Deregistered ${registration.serviceId}`);
    } catch (error) {
      if (agentStatusOf(error) === 404) return;
      this.logger.warn(`Could not deregister ${registration.serviceId}: ${describeConsulError(error)}`);
    } finally {
      this.registered = false;
    }
  }

  private assertReady(): void {
    if (!this.registered)
      throw new Error(this.attempted ? 'not registered: agent unreachable' : 'not registered yet');
    if (!this.reachable) throw new Error('agent unreachable');
  }

  private async run(server: ListeningServer): Promise<void> {
    await whenListening(server, this.stopping.signal);
    this.registration = this.describe(server);
    while (!this.stopping.signal.aborted) {
      const delay = this.registered ? await this.maintain() : await this.register();
      await sleep(delay, this.stopping.signal).catch(() => undefined);
    }
  }

  /** One registration attempt; returns the delay before the next round. */
  private async register(): Promise<number> {
    const registration = this.registration as Registration;
    const { settings } = this;
    const check =
      settings.check === 'ttl'
        ? { ttl: goDuration(settings.checkIntervalMs * 3) }
        : {
            http: `${urlHost(registration.address, registration.port)}/health/ready`,
            interval: goDuration(settings.checkIntervalMs),
          };
    try {
      this.attempted = true;
      await settled(
        this.consul.agent.service.register(
          this.control({
            name: settings.name,
            id: registration.serviceId,
            address: registration.address,
            port: registration.port,
            tags: [`version=${settings.version}`],
            meta: { version: settings.version, host: hostname() },
            check: {
              checkid: registration.checkId,
              name: `${settings.name} readiness`,
              timeout: goDuration(settings.checkTimeoutMs),
              deregistercriticalserviceafter: goDuration(settings.deregisterCriticalAfterMs),
              ...check,
            },
          }),
        ),
      );
      this.registered = true;
      this.contact(true);
      this.logger.log(
        `Registered ${registration.serviceId} (${registration.address}:${registration.port}, ${settings.check} check)`,
      );
      // A TTL check starts critical: report at once rather than one interval later.
      return settings.check === 'ttl' ? 0 : settings.checkIntervalMs;
    } catch (error) {
      return this.failed(error, 'register');
    }
  }

  /** Reports readiness (TTL) or checks the registration still exists (HTTP); returns the next delay. */
  private async maintain(): Promise<number> {
    const registration = this.registration as Registration;
    try {
      if (this.settings.check === 'ttl') {
        const problem = await this.readinessProblem();
        const options = this.control({ id: registration.checkId, note: problem ?? 'ready' });
        if (problem === undefined) await settled(this.consul.agent.check.pass(options));
        else await settled(this.consul.agent.check.fail(options));
      } else {
        const filter = `ID == "${registration.serviceId}"`;
        const services = (await settled(this.consul.agent.service.list(this.control({ filter })))) as Record<
          string,
          unknown
        >;
        if (!(registration.serviceId in services)) {
          this.registered = false;
          this.logger.warn(`The agent no longer has ${registration.serviceId}; registering again`);
          return 0;
        }
      }
      this.contact(true);
      return this.settings.checkIntervalMs;
    } catch (error) {
      // The agent answered but refused: it has lost the registration (e.g. it restarted); register again.
      if (agentStatusOf(error) !== undefined) {
        this.registered = false;
        this.logger.warn(
          `The agent refused a readiness report (${describeConsulError(error)}); registering again`,
        );
        return 0;
      }
      return this.failed(error, 'report to');
    }
  }

  private failed(error: unknown, action: string): number {
    if (this.stopping.signal.aborted) return 0;
    this.failures += 1;
    if (this.failures === 1) {
      this.logger.warn(
        `Could not ${action} the registry (${describeConsulError(error)}); retrying in the background`,
      );
    }
    this.contact(false);
    this.backoff = this.backoff
      ? this.backoff.next(undefined)
      : new ExponentialBackoff({
          generator: fullJitterGenerator,
          initialDelay: 200,
          maxDelay: this.settings.retryMaxMs,
        }).next();
    return this.backoff.duration;
  }

  private contact(ok: boolean): void {
    this.reachable = ok;
    if (!ok) return;
    if (this.failures > 0) this.logger.log('Registry reachable again');
    this.failures = 0;
    this.backoff = undefined;
  }

  /** Undefined when every other readiness check passes; otherwise which ones fail and why. */
  private async readinessProblem(): Promise<string | undefined> {
    if (this.lifecycle.isShuttingDown) return 'shutting down';
    const checks = this.readiness.entries().filter(([name]) => name !== REGISTRY_CHECK);
    const failures = await Promise.all(
      checks.map(async ([name, check]) => {
        try {
          await withTimeout(check(), READINESS_CHECK_TIMEOUT_MS);
          return undefined;
        } catch (error) {
          return `${name}: ${error instanceof Error ? error.message : 'unavailable'}`;
        }
      }),
    );
    const failed = failures.filter((failure): failure is string => failure !== undefined);
    return failed.length > 0 ? failed.join('; ') : undefined;
  }

  private describe(server: ListeningServer): Registration {
    const address = this.settings.address ?? advertisedAddress();
    const port = this.settings.port ?? listeningPort(server);
    // Derived from the endpoint, so a restarted instance replaces its own stale entry instead of leaving
    // a critical ghost until Consul reaps it; two instances cannot share an address and port.
    const serviceId = `${this.settings.name}-${address}-${port}`.replace(/[^A-Za-z0-9_.-]/g, '-');
    return { serviceId, checkId: `service:${serviceId}`, address, port };
  }

  /**
   * Adds the per-call timeout and a cancellation handle (papi options the client's typings omit). Once
   * shutdown began only the deregistration may call the agent, so nothing can register after it.
   */
  private control<T extends object>(options: T, purpose: 'loop' | 'shutdown' = 'loop'): T & CallControl {
    if (purpose === 'loop' && this.stopping.signal.aborted) throw new Error('shutting down');
    const ctx = new ConsulCallContext();
    this.inFlight = ctx;
    return { ...options, timeout: this.settings.requestTimeoutMs, ctx };
  }
}

/**
 * The address other services reach this instance on when none is configured: the first non-loopback IPv4
 * address (a container's own address on its network, unique per replica), else the host name.
 */
export function advertisedAddress(
  interfaces: NodeJS.Dict<NetworkInterfaceInfo[]> = networkInterfaces(),
  host: string = hostname(),
): string {
  for (const addresses of Object.values(interfaces)) {
    const ipv4 = addresses?.find((address) => address.family === 'IPv4' && !address.internal);
    if (ipv4) return ipv4.address;
  }
  return host;
}

function whenListening(server: ListeningServer, signal: AbortSignal): Promise<void> {
  if (server.listening) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const onListening = (): void => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    };
    const onAbort = (): void => {
      server.off('listening', onListening);
      reject(new Error('stopped before listening'));
    };
    server.once('listening', onListening);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

function listeningPort(server: ListeningServer): number {
  const address = server.address();
  if (
    typeof address === 'object' &&
    address !== null &&
    typeof (address as { port?: unknown }).port === 'number'
  ) {
    return (address as { port: number }).port;
  }
  throw new Error('The HTTP server has no TCP port to register; set CONSUL_SERVICE_PORT');
}

function urlHost(address: string, port: number): string {
  return `http://${address.includes(':') ? `[${address}]` : address}:${port}`;
}

/** Milliseconds as a Go duration string, the form Consul reads ("10s", "1500ms"). */
export function goDuration(ms: number): string {
  return ms % 1_000 === 0 ? `${ms / 1_000}s` : `${ms}ms`;
}

async function withTimeout(work: Promise<void>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      work,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}
