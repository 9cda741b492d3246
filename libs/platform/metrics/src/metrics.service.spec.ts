import { MetricsEnv } from '@emporium/platform/config';

import { MetricDefinitionError } from './metric-naming';
import { MetricsService } from './metrics.service';

function metricsEnv(enabled: boolean): MetricsEnv {
  return Object.assign(new MetricsEnv(), { METRICS_ENABLED: enabled });
}

describe(MetricsService.name, () => {
  let sut: MetricsService;

  beforeEach(() => {
    sut = new MetricsService(metricsEnv(true));
  });

  it('registers metrics in its own registry, never the global one', async () => {
    const { register } = await import('prom-client');
    sut.counter({ name: 'orders_placed_total', help: 'Orders placed.' });

    expect(sut.registry).not.toBe(register);
    expect(sut.registry.getSingleMetric('orders_placed_total')).toBeDefined();
    expect(register.getSingleMetric('orders_placed_total')).toBeUndefined();
  });

  it('returns the existing metric when the same name is defined again', () => {
    const first = sut.counter({
      name: 'orders_placed_total',
      help: 'Orders placed.',
      labelNames: ['channel'],
    });
    const second = sut.counter({
      name: 'orders_placed_total',
      help: 'Orders placed.',
      labelNames: ['channel'],
    });

    expect(second).toBe(first);
  });

  it('keeps counting across repeated definitions', async () => {
    sut.counter({ name: 'orders_placed_total', help: 'Orders placed.' }).inc();
    sut.counter({ name: 'orders_placed_total', help: 'Orders placed.' }).inc(2);

    await expect(sut.registry.getSingleMetricAsString('orders_placed_total')).resolves.toContain(
      'orders_placed_total 3',
    );
  });

  it('refuses to redefine a name as another kind', () => {
    sut.gauge({ name: 'reservations_active', help: 'Open reservations.' });

    expect(() => sut.histogram({ name: 'reservations_active', help: 'x' })).toThrow(
      /already defined as a gauge, not a histogram/,
    );
  });

  it('refuses to redefine a name with other labels', () => {
    sut.counter({ name: 'orders_placed_total', help: 'Orders placed.', labelNames: ['channel'] });

    expect(() =>
      sut.counter({
        name: 'orders_placed_total',
        help: 'Orders placed.',
        labelNames: ['channel', 'country'],
      }),
    ).toThrow(/already defined with labels \[channel\]/);
  });

  it('validates names, help and labels before registering anything', () => {
    expect(() => sut.counter({ name: 'orders_placed', help: 'Orders placed.' })).toThrow(
      MetricDefinitionError,
    );
    expect(() => sut.gauge({ name: 'queue_depth', help: ' ' })).toThrow(/help text/);
    expect(() => sut.gauge({ name: 'queue_depth', help: 'Depth.', labelNames: ['Queue'] })).toThrow(
      /snake_case/,
    );
    expect(sut.registry.getMetricsAsArray()).toHaveLength(0);
  });

  it('uses the given histogram buckets and rejects unordered ones', async () => {
    const histogram = sut.histogram({
      name: 'payment_duration_seconds',
      help: 'Payment provider latency.',
      buckets: [0.1, 1],
    });
    histogram.observe(0.5);

    const text = await sut.registry.getSingleMetricAsString('payment_duration_seconds');
    expect(text).toContain('payment_duration_seconds_bucket{le="0.1"} 0');
    expect(text).toContain('payment_duration_seconds_bucket{le="1"} 1');
    expect(() => sut.histogram({ name: 'other_duration_seconds', help: 'x', buckets: [1, 0.5] })).toThrow(
      /increasing/,
    );
  });

  it('exposes process metrics and its own metrics when enabled', async () => {
    sut.gauge({ name: 'reservations_active', help: 'Open reservations.' }).set(4);

    const text = await sut.exposition();

    expect(text).toContain('process_resident_memory_bytes');
    expect(text).toContain('nodejs_eventloop_lag_seconds');
    expect(text).toContain('reservations_active 4');
  });

  it('leaves process metrics out when METRICS_ENABLED=false but still exposes business metrics', async () => {
    sut = new MetricsService(metricsEnv(false));
    sut.gauge({ name: 'reservations_active', help: 'Open reservations.' }).set(4);

    const text = await sut.exposition();

    expect(text).not.toContain('process_');
    expect(text).toContain('reservations_active 4');
  });
});
