import type { EnvClass } from '@emporium/platform/config';

/** Who a service is: used for the default port, logs, metrics, traces, Swagger and the registry. */
export interface ServiceDescriptor {
  /** Lowercase service name, also its schema name and its Consul service name. */
  name: string;
  version: string;
  defaultPort: number;
  description: string;
  /**
   * Config classes this service reads beyond the ones every service reads (HTTP, logging, metrics), e.g.
   * PgEnv, AuthEnv. All are validated together before anything starts.
   */
  env: readonly EnvClass[];
}

export const SERVICE_DESCRIPTOR = Symbol('SERVICE_DESCRIPTOR');
