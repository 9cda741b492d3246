import { DomainError } from '@emporium/platform/http';

/** One reachable copy of a service. */
export interface ServiceInstance {
  /** Unique per instance: the registry's service id, or `static:<service>`. */
  readonly id: string;
  /** The service's name, e.g. `product`. */
  readonly service: string;
  /** Where to send requests, without a trailing slash, e.g. `http://10.0.0.7:3003`. */
  readonly baseUrl: string;
  readonly address: string;
  readonly port: number;
  readonly tags: readonly string[];
  readonly meta: Readonly<Record<string, string>>;
}

/**
 * Where the healthy instances of a service are. Injected by its class; `DiscoveryModule.forRoot()` provides
 * the Consul implementation when CONSUL_URL is set and the static one (SERVICE_<NAME>_URL) otherwise.
 */
export abstract class ServiceDiscovery {
  /** `consul` or `static`, for logs and metrics. */
  abstract readonly kind: string;

  /**
   * The instances of `service` that pass their health checks now. Consul: the live set kept by a blocking
   * watch (the last known set while the agent is unreachable); the first call for a service waits for the
   * first answer. The same array is returned until the set changes. Rejects with RegistryUnavailableError
   * when nothing is known yet and the agent cannot be reached.
   */
  abstract instances(service: string, signal?: AbortSignal): Promise<readonly ServiceInstance[]>;

  /** Whether `service` can be resolved at all (static discovery knows a fixed list of names). */
  abstract knows(service: string): boolean;

  /** Starts watching `services` ahead of the first call, so it does not wait. A no-op where nothing is watched. */
  prefetch(services: readonly string[]): void {
    void services;
  }
}

/** 503: the registry cannot be reached and no instance of the service has been seen yet. */
export class RegistryUnavailableError extends DomainError {
  constructor(readonly service: string) {
    super(
      'REGISTRY_UNAVAILABLE',
      'unavailable',
      `The ${service} service cannot be located right now; retry later`,
    );
    this.name = RegistryUnavailableError.name;
  }
}

/** A programming error: a service name static discovery has no address for. */
export class UnknownServiceError extends Error {
  constructor(readonly service: string) {
    super(`No address is configured for the "${service}" service (SERVICE_${service.toUpperCase()}_URL)`);
    this.name = UnknownServiceError.name;
  }
}

/** `http://host:port`, with IPv6 literals bracketed. */
export function baseUrlOf(address: string, port: number, scheme: 'http' | 'https' = 'http'): string {
  const host = address.includes(':') && !address.startsWith('[') ? `[${address}]` : address;
  return `${scheme}://${host}:${port}`;
}
