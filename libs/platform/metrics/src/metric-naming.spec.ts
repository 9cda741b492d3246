import { assertLabelNames, assertMetricName, MetricDefinitionError } from './metric-naming';

describe(assertMetricName.name, () => {
  it.each([
    ['orders_placed_total', 'counter'],
    ['payment_authorization_duration_seconds', 'histogram'],
    ['inventory_reservations_active', 'gauge'],
    ['outbox_payload_size_bytes', 'histogram'],
    ['sms_messages_sent_total', 'counter'],
  ] as const)('accepts %s as a %s', (name, kind) => {
    expect(() => assertMetricName(name, kind)).not.toThrow();
  });

  it.each([
    ['OrdersPlaced_total', 'counter', /snake_case/],
    ['orders__placed_total', 'counter', /snake_case/],
    ['orders:placed_total', 'counter', /snake_case/],
    ['_orders_total', 'counter', /snake_case/],
    ['orders_placed', 'counter', /must end in "_total"/],
    ['orders_in_flight_total', 'gauge', /reserved for counters/],
    ['checkout_duration_ms', 'histogram', /base units.*"ms".*seconds/],
    ['checkout_duration_milliseconds', 'histogram', /seconds/],
    ['payload_size_kb', 'histogram', /bytes/],
    ['cache_hit_percent', 'gauge', /ratio/],
    ['checkout_duration_seconds_count', 'histogram', /"_count"/],
    ['checkout_duration_seconds_bucket', 'histogram', /"_bucket"/],
    ['process_orders_total', 'counter', /reserved for runtime metrics/],
    ['nodejs_things', 'gauge', /reserved for runtime metrics/],
  ] as const)('rejects %s as a %s', (name, kind, reason) => {
    const attempt = (): void => assertMetricName(name, kind);
    expect(attempt).toThrow(MetricDefinitionError);
    expect(attempt).toThrow(reason);
  });
});

describe(assertLabelNames.name, () => {
  it('accepts bounded snake_case labels', () => {
    expect(() => assertLabelNames('m_total', ['method', 'status_code'])).not.toThrow();
  });

  it.each([
    [['Method'], /"Method" must be snake_case/],
    [['__name'], /must be snake_case/],
    [['le'], /reserved/],
    [['quantile'], /reserved/],
    [['route', 'route'], /listed twice/],
  ])('rejects %p', (labels, reason) => {
    expect(() => assertLabelNames('m_total', labels)).toThrow(reason);
  });
});
