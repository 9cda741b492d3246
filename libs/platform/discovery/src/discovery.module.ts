import { LifecycleState, ReadinessRegistry } from '@emporium/platform/health';
import { SERVICE_DESCRIPTOR, ServiceDescriptor } from '@emporium/platform/http';
import { DynamicModule, Module, Provider } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';

import { ConsulClient, createConsulClient } from './consul-client';
import { ConsulDiscovery } from './consul-discovery';
import { ConsulRegistrar, ListeningServer } from './consul-registrar';
import { DiscoveryEnv, staticServiceUrls } from './discovery-env';
import { ServiceDiscovery } from './service-discovery';
import { StaticDiscovery } from './static-discovery';

/** The Consul client, or null under static discovery. */
export const CONSUL_CLIENT = Symbol('CONSUL_CLIENT');

const consulClient: Provider = {
  provide: CONSUL_CLIENT,
  inject: [DiscoveryEnv],
  useFactory: (env: DiscoveryEnv): ConsulClient | null =>
    env.CONSUL_URL ? createConsulClient(env.CONSUL_URL, env.CONSUL_TOKEN) : null,
};

const discovery: Provider = {
  provide: ServiceDiscovery,
  inject: [DiscoveryEnv, CONSUL_CLIENT],
  useFactory: (env: DiscoveryEnv, consul: ConsulClient | null): ServiceDiscovery =>
    consul
      ? new ConsulDiscovery(consul, {
          waitMs: env.CONSUL_WATCH_WAIT_MS,
          firstAnswerTimeoutMs: env.CONSUL_REQUEST_TIMEOUT_MS,
          retryMaxMs: env.CONSUL_RETRY_MAX_MS,
        })
      : new StaticDiscovery(staticServiceUrls(env)),
};

const registrar: Provider = {
  provide: ConsulRegistrar,
  inject: [
    DiscoveryEnv,
    SERVICE_DESCRIPTOR,
    CONSUL_CLIENT,
    ReadinessRegistry,
    LifecycleState,
    HttpAdapterHost,
  ],
  useFactory: (
    env: DiscoveryEnv,
    service: ServiceDescriptor,
    consul: ConsulClient | null,
    readiness: ReadinessRegistry,
    lifecycle: LifecycleState,
    adapterHost: HttpAdapterHost,
  ): ConsulRegistrar | null => {
    if (!consul) return null;
    return new ConsulRegistrar(
      consul,
      {
        name: service.name,
        version: service.version,
        address: env.CONSUL_SERVICE_ADDRESS,
        port: env.CONSUL_SERVICE_PORT,
        check: env.CONSUL_CHECK,
        checkIntervalMs: env.CONSUL_CHECK_INTERVAL_MS,
        checkTimeoutMs: env.CONSUL_CHECK_TIMEOUT_MS,
        deregisterCriticalAfterMs: env.CONSUL_DEREGISTER_CRITICAL_AFTER_MS,
        requestTimeoutMs: env.CONSUL_REQUEST_TIMEOUT_MS,
        retryMaxMs: env.CONSUL_RETRY_MAX_MS,
      },
      readiness,
      lifecycle,
      () => adapterHost.httpAdapter?.getHttpServer() as ListeningServer | undefined,
    );
  },
};

/**
 * Service discovery for an app: `ServiceDiscovery` (Consul when CONSUL_URL is set, SERVICE_<NAME>_URL
 * otherwise) and, with Consul, this instance's registration (after the server listens, in the background,
 * with a `registry` readiness check) and deregistration on shutdown. Needs `DiscoveryEnv` in the service
 * descriptor's `env` and `PlatformModule` (config, health, the descriptor).
 */
@Module({})
export class DiscoveryModule {
  static forRoot(): DynamicModule {
    return {
      module: DiscoveryModule,
      global: true,
      providers: [consulClient, discovery, registrar],
      exports: [ServiceDiscovery],
    };
  }
}
