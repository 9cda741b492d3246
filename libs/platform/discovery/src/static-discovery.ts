import { ServiceDiscovery, ServiceInstance, UnknownServiceError } from './service-discovery';

/**
 * One fixed address per service, from SERVICE_<NAME>_URL: the default for local runs, and for Kubernetes,
 * where the address is the Service's DNS name and kube-proxy spreads the load.
 */
export class StaticDiscovery extends ServiceDiscovery {
  readonly kind = 'static';
  private readonly byService: ReadonlyMap<string, readonly ServiceInstance[]>;

  constructor(urls: Readonly<Record<string, string>>) {
    super();
    this.byService = new Map(
      Object.entries(urls).map(([service, url]) => [service, [toInstance(service, url)]]),
    );
  }

  async instances(service: string): Promise<readonly ServiceInstance[]> {
    const instances = this.byService.get(service);
    if (!instances) throw new UnknownServiceError(service);
    return instances;
  }

  knows(service: string): boolean {
    return this.byService.has(service);
  }
}

function toInstance(service: string, url: string): ServiceInstance {
  const parsed = new URL(url);
  const port = parsed.port ? Number(parsed.port) : parsed.protocol === 'https:' ? 443 : 80;
  // A path prefix is kept (a gateway route), a trailing slash is not: request paths start with one.
  const path = parsed.pathname.replace(/\/+$/, '');
  return Object.freeze({
    id: `static:${service}`,
    service,
    baseUrl: `${parsed.protocol}//${parsed.host}${path}`,
    address: parsed.hostname,
    port,
    tags: [],
    meta: {},
  });
}
