import { loadEnv, MetricsEnv } from '@emporium/platform/config';
import { ServiceDiscovery, StaticDiscovery } from '@emporium/platform/discovery';
import { MetricsService } from '@emporium/platform/metrics';

import { HttpClientEnv } from '../src/http-client-env';
import { ServiceClients } from '../src/service-clients';

/** Quick settings for tests: short timeouts and pauses, so failures show in milliseconds. */
export const FAST_CLIENT_ENV: Record<string, string> = {
  HTTP_CLIENT_ATTEMPT_TIMEOUT_MS: '1000',
  HTTP_CLIENT_DEADLINE_MS: '3000',
  HTTP_CLIENT_BACKOFF_INITIAL_MS: '5',
  HTTP_CLIENT_BACKOFF_MAX_MS: '20',
  HTTP_CLIENT_BREAKER_HALF_OPEN_AFTER_MS: '200',
  HTTP_CLIENT_EJECT_BASE_MS: '300',
};

export interface TestClients {
  clients: ServiceClients;
  metrics: MetricsService;
}

/** ServiceClients as the module builds them, over the given discovery (static by default). */
export function testClients(
  env: Record<string, string> = {},
  discovery: ServiceDiscovery | Record<string, string> = {},
): TestClients {
  const metrics = new MetricsService(loadEnv(MetricsEnv, {}));
  const source = discovery instanceof ServiceDiscovery ? discovery : new StaticDiscovery(discovery);
  const clients = new ServiceClients(
    loadEnv(HttpClientEnv, { ...FAST_CLIENT_ENV, ...env }),
    source,
    metrics,
    {},
  );
  return { clients, metrics };
}
