/** Thrown when a metric definition breaks Prometheus naming conventions or clashes with an existing metric. */
export class MetricDefinitionError extends Error {
  constructor(name: string, reason: string) {
    super(`Metric "${name}": ${reason}`);
    this.name = MetricDefinitionError.name;
  }
}

export type MetricKind = 'counter' | 'gauge' | 'histogram';

const SNAKE_CASE = /^[a-z][a-z0-9]*(?:_[a-z0-9]+)*$/;

/**
 * Units Prometheus expects to see converted to their base unit (seconds, bytes, ratio): a dashboard
 * should never have to guess whether `latency` is in ms or s.
 */
const NON_BASE_UNITS: Readonly<Record<string, string>> = {
  ns: 'seconds',
  nanoseconds: 'seconds',
  us: 'seconds',
  microseconds: 'seconds',
  ms: 'seconds',
  millis: 'seconds',
  milliseconds: 'seconds',
  minutes: 'seconds',
  hours: 'seconds',
  days: 'seconds',
  bits: 'bytes',
  kb: 'bytes',
  kib: 'bytes',
  kilobytes: 'bytes',
  mb: 'bytes',
  mib: 'bytes',
  megabytes: 'bytes',
  gb: 'bytes',
  gib: 'bytes',
  gigabytes: 'bytes',
  percent: 'ratio (0 to 1)',
  percentage: 'ratio (0 to 1)',
};

/** Suffixes the exposition format adds to a histogram's series; a metric named with them reads ambiguously. */
const HISTOGRAM_SERIES_SUFFIXES = ['_bucket', '_count', '_sum'];

/** Names the runtime's own metrics use; business metrics stay out of them so series never collide. */
const RESERVED_PREFIXES = ['process_', 'nodejs_'];

/** Checks a metric name against Prometheus naming conventions; throws MetricDefinitionError naming the rule. */
export function assertMetricName(name: string, kind: MetricKind): void {
  if (!SNAKE_CASE.test(name))
    throw new MetricDefinitionError(
      name,
      'must be snake_case: lower-case letters, digits and single underscores',
    );
  const reserved = RESERVED_PREFIXES.find((prefix) => name.startsWith(prefix));
  if (reserved)
    throw new MetricDefinitionError(name, `the "${reserved}" prefix is reserved for runtime metrics`);
  for (const token of name.split('_')) {
    const base = NON_BASE_UNITS[token];
    if (base)
      throw new MetricDefinitionError(name, `use base units: "${token}" should be expressed in ${base}`);
  }
  const isTotal = name.endsWith('_total');
  if (kind === 'counter' && !isTotal)
    throw new MetricDefinitionError(name, 'a counter name must end in "_total"');
  if (kind !== 'counter' && isTotal)
    throw new MetricDefinitionError(name, `"_total" is reserved for counters, not a ${kind}`);
  if (kind === 'histogram') {
    const suffix = HISTOGRAM_SERIES_SUFFIXES.find((s) => name.endsWith(s));
    if (suffix) throw new MetricDefinitionError(name, `a histogram name must not end in "${suffix}"`);
  }
}

/** Label names are snake_case, unique, and not reserved (`__*`, and `le`/`quantile`, which Prometheus adds). */
export function assertLabelNames(name: string, labelNames: readonly string[]): void {
  const seen = new Set<string>();
  for (const label of labelNames) {
    if (!SNAKE_CASE.test(label)) throw new MetricDefinitionError(name, `label "${label}" must be snake_case`);
    if (label === 'le' || label === 'quantile')
      throw new MetricDefinitionError(name, `label "${label}" is reserved by Prometheus`);
    if (seen.has(label)) throw new MetricDefinitionError(name, `label "${label}" is listed twice`);
    seen.add(label);
  }
}

export function assertHelp(name: string, help: string): void {
  if (help.trim() === '') throw new MetricDefinitionError(name, 'help text must not be empty');
}
