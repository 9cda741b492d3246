export type EnvSource = Readonly<Record<string, string | undefined>>;

/** Thrown by startTracing when a standard OTEL_* variable has a value the SDK would silently ignore. */
export class TracingConfigError extends Error {
  constructor(readonly problems: readonly { variable: string; reason: string }[]) {
    super(
      `Invalid environment configuration:\n${problems.map((p) => `  - ${p.variable}: ${p.reason}`).join('\n')}`,
    );
    this.name = TracingConfigError.name;
  }
}

export type TracingDecision = { enabled: true } | { enabled: false; reason: string };

/** The samplers the SDK builds from OTEL_TRACES_SAMPLER (sdk-trace-base's buildSamplerFromEnv). */
export const SUPPORTED_SAMPLERS = [
  'always_on',
  'always_off',
  'traceidratio',
  'parentbased_always_on',
  'parentbased_always_off',
  'parentbased_traceidratio',
] as const;

const RATIO_SAMPLERS: readonly string[] = ['traceidratio', 'parentbased_traceidratio'];
const ENDPOINT_VARIABLES = ['OTEL_EXPORTER_OTLP_TRACES_ENDPOINT', 'OTEL_EXPORTER_OTLP_ENDPOINT'] as const;
const PROTOCOL_VARIABLES = ['OTEL_EXPORTER_OTLP_TRACES_PROTOCOL', 'OTEL_EXPORTER_OTLP_PROTOCOL'] as const;
// Both go to the collector's OTLP/HTTP port, which accepts JSON and protobuf alike; grpc needs another port.
const HTTP_PROTOCOLS: readonly string[] = ['http/json', 'http/protobuf'];
const LOG_LEVELS: readonly string[] = ['none', 'error', 'warn', 'info', 'debug', 'verbose', 'all'];
/** Numeric settings the SDK reads itself; it ignores a malformed one without a word, so they are checked here. */
const NON_NEGATIVE_INTEGERS = [
  'OTEL_BSP_SCHEDULE_DELAY',
  'OTEL_BSP_EXPORT_TIMEOUT',
  'OTEL_BSP_MAX_QUEUE_SIZE',
  'OTEL_BSP_MAX_EXPORT_BATCH_SIZE',
  'OTEL_EXPORTER_OTLP_TIMEOUT',
  'OTEL_EXPORTER_OTLP_TRACES_TIMEOUT',
  'OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT',
  'OTEL_ATTRIBUTE_COUNT_LIMIT',
  'OTEL_SPAN_ATTRIBUTE_VALUE_LENGTH_LIMIT',
  'OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT',
  'OTEL_SPAN_EVENT_COUNT_LIMIT',
  'OTEL_SPAN_LINK_COUNT_LIMIT',
] as const;

/**
 * Whether tracing runs, from the standard variables alone: on only when an OTLP endpoint is configured and
 * neither OTEL_SDK_DISABLED=true nor OTEL_TRACES_EXPORTER=none says otherwise. When on, every OTEL_* value
 * the SDK will read is checked, so a typo stops the service at start-up instead of silently sampling
 * everything or nothing. Empty strings count as unset, as the spec says.
 */
export function tracingDecision(env: EnvSource): TracingDecision {
  const read = (name: string): string | undefined => {
    const value = env[name]?.trim();
    return value === '' ? undefined : value;
  };
  if (read('OTEL_SDK_DISABLED')?.toLowerCase() === 'true') return off('OTEL_SDK_DISABLED is true');
  const exporters = read('OTEL_TRACES_EXPORTER')
    ?.split(',')
    .map((name) => name.trim().toLowerCase());
  if (exporters?.includes('none')) return off('OTEL_TRACES_EXPORTER is none');
  if (!ENDPOINT_VARIABLES.some((name) => read(name) !== undefined))
    return off('neither OTEL_EXPORTER_OTLP_ENDPOINT nor OTEL_EXPORTER_OTLP_TRACES_ENDPOINT is set');

  const problems: { variable: string; reason: string }[] = [];
  const problem = (variable: string, reason: string): void => {
    problems.push({ variable, reason });
  };

  if (exporters && exporters.some((name) => name !== 'otlp'))
    problem('OTEL_TRACES_EXPORTER', 'must be otlp or none');
  for (const name of ENDPOINT_VARIABLES) {
    const value = read(name);
    if (value !== undefined && !isHttpUrl(value)) problem(name, 'must be an http:// or https:// URL');
  }
  for (const name of PROTOCOL_VARIABLES) {
    const value = read(name);
    if (value === 'grpc')
      problem(
        name,
        "grpc is not supported; use http/json and the collector's OTLP/HTTP endpoint (port 4318)",
      );
    else if (value !== undefined && !HTTP_PROTOCOLS.includes(value))
      problem(name, `must be one of ${HTTP_PROTOCOLS.join(', ')}`);
  }
  const sampler = read('OTEL_TRACES_SAMPLER');
  if (sampler !== undefined && !(SUPPORTED_SAMPLERS as readonly string[]).includes(sampler))
    problem('OTEL_TRACES_SAMPLER', `must be one of ${SUPPORTED_SAMPLERS.join(', ')}`);
  const ratio = read('OTEL_TRACES_SAMPLER_ARG');
  if (sampler !== undefined && RATIO_SAMPLERS.includes(sampler) && ratio !== undefined) {
    const value = Number(ratio);
    if (!Number.isFinite(value) || value < 0 || value > 1)
      problem('OTEL_TRACES_SAMPLER_ARG', 'must be a number from 0 to 1');
  }
  const logLevel = read('OTEL_LOG_LEVEL');
  if (logLevel !== undefined && !LOG_LEVELS.includes(logLevel.toLowerCase()))
    problem('OTEL_LOG_LEVEL', `must be one of ${LOG_LEVELS.join(', ')}`);
  for (const name of NON_NEGATIVE_INTEGERS) {
    const value = read(name);
    if (value !== undefined && !/^\d+$/.test(value)) problem(name, 'must be a non-negative integer');
  }

  if (problems.length > 0) throw new TracingConfigError(problems);
  return { enabled: true };
}

function off(reason: string): TracingDecision {
  return { enabled: false, reason };
}

function isHttpUrl(value: string): boolean {
  try {
    const { protocol } = new URL(value);
    return protocol === 'http:' || protocol === 'https:';
  } catch {
    return false;
  }
}
