import { envInt } from '@emporium/platform/config';
import { Transform } from 'class-transformer';
import { IsIn, IsInt, IsOptional, IsString, IsUrl, Matches, Max, Min } from 'class-validator';

const SERVICE_URL = { protocols: ['http', 'https'], require_tld: false, require_protocol: true };
const SERVICE_URL_MESSAGE = { message: 'must be an http(s):// URL' };

/** The services api.md names, with their default ports: the static addresses used when CONSUL_URL is unset. */
export const KNOWN_SERVICE_PORTS = {
  auth: 3001,
  user: 3002,
  product: 3003,
  inventory: 3004,
  order: 3005,
  payment: 3006,
  shipping: 3007,
  notification: 3008,
} as const;

export type KnownService = keyof typeof KNOWN_SERVICE_PORTS;

export const CHECK_KINDS = ['http', 'ttl'] as const;
export type CheckKind = (typeof CHECK_KINDS)[number];

/**
 * Where other services are and how this one is registered. With CONSUL_URL set, the service registers
 * with that Consul agent and discovers others through it; unset, addresses come from SERVICE_<NAME>_URL
 * (local runs, and Kubernetes, where the address is the Service's DNS name).
 */
export class DiscoveryEnv {
  /** Consul agent HTTP address, e.g. http://consul:8500; unset means static discovery. */
  @IsOptional()
  @IsUrl(SERVICE_URL, SERVICE_URL_MESSAGE)
  CONSUL_URL: string | undefined = undefined;

  /** ACL token sent as X-Consul-Token, when the agent has ACLs on. */
  @IsOptional()
  @IsString()
  @Matches(/^\S+$/, { message: 'must be a token without spaces' })
  CONSUL_TOKEN: string | undefined = undefined;

  /**
   * Address other services reach this instance on; when unset, the first non-loopback IPv4 address (a
   * container's address on its network, distinct per replica), else the host name.
   */
  @IsOptional()
  @Matches(/^[A-Za-z0-9][A-Za-z0-9.:-]{0,252}$/, { message: 'must be a host name or an IP address' })
  CONSUL_SERVICE_ADDRESS: string | undefined = undefined;

  /** Port other services reach this instance on; the port the server listens on when unset. */
  @IsOptional()
  @Transform(envInt)
  @IsInt({ message: 'must be an integer port number' })
  @Min(1)
  @Max(65535)
  CONSUL_SERVICE_PORT: number | undefined = undefined;

  /**
   * `http`: Consul calls GET /health/ready every interval. `ttl`: the service reports its own readiness
   * every interval and Consul marks it critical when reports stop (for agents that cannot reach the service).
   */
  @IsIn(CHECK_KINDS, { message: `must be one of ${CHECK_KINDS.join(', ')}` })
  CONSUL_CHECK: CheckKind = 'http';

  /** How often the check runs (http) or the service reports (ttl; the TTL is three times this). */
  @Transform(envInt)
  @IsInt()
  @Min(100)
  @Max(300_000)
  CONSUL_CHECK_INTERVAL_MS: number = 5_000;

  /** Timeout of Consul's HTTP check. */
  @Transform(envInt)
  @IsInt()
  @Min(100)
  @Max(60_000)
  CONSUL_CHECK_TIMEOUT_MS: number = 2_000;

  /**
   * An instance critical for this long is removed by Consul (a crashed instance that never deregistered).
   * Consul raises anything under one minute to one minute.
   */
  @Transform(envInt)
  @IsInt()
  @Min(1_000)
  @Max(7 * 24 * 3_600_000)
  CONSUL_DEREGISTER_CRITICAL_AFTER_MS: number = 60_000;

  /** Timeout of each call to the agent (register, report, deregister); also bounds deregistration on shutdown. */
  @Transform(envInt)
  @IsInt()
  @Min(100)
  @Max(5_000)
  CONSUL_REQUEST_TIMEOUT_MS: number = 2_000;

  /** How long a blocking health query waits for a change before Consul answers anyway. */
  @Transform(envInt)
  @IsInt()
  @Min(100)
  @Max(600_000)
  CONSUL_WATCH_WAIT_MS: number = 30_000;

  /** Longest pause between attempts to reach an unreachable agent (registration and watches back off to it). */
  @Transform(envInt)
  @IsInt()
  @Min(100)
  @Max(300_000)
  CONSUL_RETRY_MAX_MS: number = 10_000;

  @IsUrl(SERVICE_URL, SERVICE_URL_MESSAGE)
  SERVICE_AUTH_URL: string = localUrl('auth');

  @IsUrl(SERVICE_URL, SERVICE_URL_MESSAGE)
  SERVICE_USER_URL: string = localUrl('user');

  @IsUrl(SERVICE_URL, SERVICE_URL_MESSAGE)
  SERVICE_PRODUCT_URL: string = localUrl('product');

  @IsUrl(SERVICE_URL, SERVICE_URL_MESSAGE)
  SERVICE_INVENTORY_URL: string = localUrl('inventory');

  @IsUrl(SERVICE_URL, SERVICE_URL_MESSAGE)
  SERVICE_ORDER_URL: string = localUrl('order');

  @IsUrl(SERVICE_URL, SERVICE_URL_MESSAGE)
  SERVICE_PAYMENT_URL: string = localUrl('payment');

  @IsUrl(SERVICE_URL, SERVICE_URL_MESSAGE)
  SERVICE_SHIPPING_URL: string = localUrl('shipping');

  @IsUrl(SERVICE_URL, SERVICE_URL_MESSAGE)
  SERVICE_NOTIFICATION_URL: string = localUrl('notification');
}

function localUrl(service: KnownService): string {
  return `http://127.0.0.1:${KNOWN_SERVICE_PORTS[service]}`;
}

/** The static address of each known service, from SERVICE_<NAME>_URL. */
export function staticServiceUrls(env: DiscoveryEnv): Record<KnownService, string> {
  return {
    auth: env.SERVICE_AUTH_URL,
    user: env.SERVICE_USER_URL,
    product: env.SERVICE_PRODUCT_URL,
    inventory: env.SERVICE_INVENTORY_URL,
    order: env.SERVICE_ORDER_URL,
    payment: env.SERVICE_PAYMENT_URL,
    shipping: env.SERVICE_SHIPPING_URL,
    notification: env.SERVICE_NOTIFICATION_URL,
  };
}
