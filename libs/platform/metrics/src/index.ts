export { HTTP_DURATION_BUCKETS, OTHER_METHOD, UNMATCHED_ROUTE } from './http-metrics';
export { MetricDefinitionError } from './metric-naming';
export { MetricsModule } from './metrics.module';
export type { HistogramDefinition, MetricDefinition } from './metrics.service';
export { MetricsService } from './metrics.service';
