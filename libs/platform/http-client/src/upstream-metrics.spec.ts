import { loadEnv, MetricsEnv } from '@emporium/platform/config';
import { MetricsService } from '@emporium/platform/metrics';
import { CircuitState } from 'cockatiel';

import { circuitStateName, UpstreamMetrics } from './upstream-metrics';

describe(UpstreamMetrics.name, () => {
  it('defines its metrics within the naming conventions, once per app', () => {
    const metrics = new MetricsService(loadEnv(MetricsEnv, {}));
    expect(() => new UpstreamMetrics(metrics)).not.toThrow();
    expect(() => new UpstreamMetrics(metrics)).not.toThrow();
  });

  it('reports the circuit state as one series per state, 1 for the current one', async () => {
    const metrics = new MetricsService(loadEnv(MetricsEnv, { METRICS_ENABLED: 'false' }));
    const sut = new UpstreamMetrics(metrics);
    sut.circuitState('product', CircuitState.HalfOpen);
    const exposition = await metrics.exposition();
    expect(exposition).toContain('emporium_upstream_circuit_state{target="product",state="half_open"} 1');
    expect(exposition).toContain('emporium_upstream_circuit_state{target="product",state="closed"} 0');
    expect(exposition).toContain('emporium_upstream_circuit_state{target="product",state="open"} 0');
  });

  it('names states for logs', () => {
    expect(circuitStateName(CircuitState.Open)).toBe('open');
    expect(circuitStateName(CircuitState.HalfOpen)).toBe('half_open');
  });
});
