import { MetricsEnv } from '@emporium/platform/config';
import { Injectable } from '@nestjs/common';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';

import {
  assertHelp,
  assertLabelNames,
  assertMetricName,
  MetricDefinitionError,
  MetricKind,
} from './metric-naming';
import { processMetricsRegistry } from './process-metrics';

export interface MetricDefinition<L extends string = never> {
  /** snake_case, in base units (seconds, bytes); counters end in `_total`. */
  name: string;
  help: string;
  /** Keep every label's set of values small and bounded: never ids, emails or raw paths. */
  labelNames?: readonly L[];
}

export interface HistogramDefinition<L extends string = never> extends MetricDefinition<L> {
  /** Upper bounds in the metric's base unit; prom-client's defaults (5 ms to 10 s) when omitted. */
  buckets?: readonly number[];
}

type AnyMetric = Counter<string> | Gauge<string> | Histogram<string>;

interface Registered {
  kind: MetricKind;
  labelNames: readonly string[];
  metric: AnyMetric;
}

/**
 * This app's metrics: its own prom-client Registry (never the global one, so several apps can live in one
 * process) plus helpers for business metrics that enforce Prometheus naming and are idempotent by name,
 * so a provider may ask for `orders_placed_total` every time it is constructed.
 */
@Injectable()
export class MetricsService {
  readonly registry = new Registry();
  private readonly definitions = new Map<string, Registered>();

  constructor(private readonly env: MetricsEnv) {}

  get enabled(): boolean {
    return this.env.METRICS_ENABLED;
  }

  /** The exposition's media type (Prometheus text format 0.0.4). */
  get contentType(): string {
    return this.registry.contentType;
  }

  counter<L extends string = never>(definition: MetricDefinition<L>): Counter<L> {
    return this.define('counter', definition, (config) => new Counter<L>(config)) as Counter<L>;
  }

  gauge<L extends string = never>(definition: MetricDefinition<L>): Gauge<L> {
    return this.define('gauge', definition, (config) => new Gauge<L>(config)) as Gauge<L>;
  }

  histogram<L extends string = never>(definition: HistogramDefinition<L>): Histogram<L> {
    const buckets = definition.buckets;
    if (buckets) assertBuckets(definition.name, buckets);
    return this.define(
      'histogram',
      definition,
      (config) => new Histogram<L>({ ...config, ...(buckets ? { buckets: [...buckets] } : {}) }),
    ) as Histogram<L>;
  }

  /** The text exposition: process metrics (unless METRICS_ENABLED=false) followed by this app's metrics. */
  async exposition(): Promise<string> {
    const registries = this.enabled ? [processMetricsRegistry(), this.registry] : [this.registry];
    const parts = await Promise.all(registries.map((registry) => registry.metrics()));
    return parts.filter((part) => part.trim() !== '').join('\n');
  }

  private define<L extends string>(
    kind: MetricKind,
    definition: MetricDefinition<L>,
    create: (config: { name: string; help: string; labelNames: L[]; registers: Registry[] }) => AnyMetric,
  ): AnyMetric {
    const { name, help } = definition;
    const labelNames = [...(definition.labelNames ?? [])];
    const existing = this.definitions.get(name);
    if (existing) {
      if (existing.kind !== kind)
        throw new MetricDefinitionError(name, `already defined as a ${existing.kind}, not a ${kind}`);
      if (!sameLabels(existing.labelNames, labelNames))
        throw new MetricDefinitionError(
          name,
          `already defined with labels [${existing.labelNames.join(', ')}], not [${labelNames.join(', ')}]`,
        );
      return existing.metric;
    }
    assertMetricName(name, kind);
    assertHelp(name, help);
    assertLabelNames(name, labelNames);
    const metric = create({ name, help, labelNames, registers: [this.registry] });
    this.definitions.set(name, { kind, labelNames, metric });
    return metric;
  }
}

function sameLabels(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && [...a].sort().join(',') === [...b].sort().join(',');
}

function assertBuckets(name: string, buckets: readonly number[]): void {
  if (buckets.length === 0) throw new MetricDefinitionError(name, 'buckets must not be empty');
  for (let i = 0; i < buckets.length; i++) {
    const bound = buckets[i];
    if (!Number.isFinite(bound)) throw new MetricDefinitionError(name, 'buckets must be finite numbers');
    if (i > 0 && bound <= buckets[i - 1])
      throw new MetricDefinitionError(name, 'buckets must be in strictly increasing order');
  }
}
