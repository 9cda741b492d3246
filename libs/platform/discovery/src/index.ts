export type { ConsulClient } from './consul-client';
export { createConsulClient } from './consul-client';
export type { ConsulDiscoveryOptions } from './consul-discovery';
export { ConsulDiscovery, toInstances } from './consul-discovery';
export type { ListeningServer, Registration, RegistrationSettings } from './consul-registrar';
export { advertisedAddress, ConsulRegistrar, goDuration, REGISTRY_CHECK } from './consul-registrar';
export { CONSUL_CLIENT, DiscoveryModule } from './discovery.module';
export type { CheckKind, KnownService } from './discovery-env';
export { CHECK_KINDS, DiscoveryEnv, KNOWN_SERVICE_PORTS, staticServiceUrls } from './discovery-env';
export type {
  BalancingStrategy,
  InstanceStats,
  LoadBalancerOptions,
  OutlierEjectionOptions,
} from './load-balancer';
export { BALANCING_STRATEGIES, balancingWeights, LoadBalancer } from './load-balancer';
export type { ServiceInstance } from './service-discovery';
export { RegistryUnavailableError, ServiceDiscovery, UnknownServiceError } from './service-discovery';
export { StaticDiscovery } from './static-discovery';
export { TokenBucket } from './token-bucket';
