import { ROOT_CONTEXT, trace, TraceFlags } from '@opentelemetry/api';
import { InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';

import { isOperationalPath } from './server-spans';
import { createTracerProvider, DEFAULT_SPAN_LIMITS } from './tracing-sdk';

const OPTIONS = { serviceName: 'product', serviceVersion: '1.2.3' };
const REMOTE_PARENT = {
  traceId: '0af7651916cd43dd8448eb211c80319c',
  spanId: 'b7ad6b7169203331',
  isRemote: true,
};

function withEnv<T>(vars: Record<string, string>, work: () => T): T {
  const previous = Object.fromEntries(Object.keys(vars).map((key) => [key, process.env[key]]));
  Object.assign(process.env, vars);
  try {
    return work();
  } finally {
    for (const [key, value] of Object.entries(previous)) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
  }
}

/** Which of a root span, a child of a sampled remote parent and a child of an unsampled one get recorded. */
function sampledWith(vars: Record<string, string>): {
  root: boolean;
  sampledParent: boolean;
  unsampledParent: boolean;
} {
  const exporter = new InMemorySpanExporter();
  const sut = withEnv(vars, () => createTracerProvider(OPTIONS, [new SimpleSpanProcessor(exporter)]));
  const tracer = sut.getTracer('test');
  tracer.startSpan('root', {}, ROOT_CONTEXT).end();
  const under = (traceFlags: TraceFlags) =>
    trace.setSpanContext(ROOT_CONTEXT, { ...REMOTE_PARENT, traceFlags });
  tracer.startSpan('sampledParent', {}, under(TraceFlags.SAMPLED)).end();
  tracer.startSpan('unsampledParent', {}, under(TraceFlags.NONE)).end();
  const names = exporter.getFinishedSpans().map((span) => span.name);
  return {
    root: names.includes('root'),
    sampledParent: names.includes('sampledParent'),
    unsampledParent: names.includes('unsampledParent'),
  };
}

describe(createTracerProvider.name, () => {
  it('samples parentbased_always_on by default: new traces yes, the caller decides for continued ones', () => {
    expect(sampledWith({})).toEqual({ root: true, sampledParent: true, unsampledParent: false });
  });

  it.each([
    ['always_on', {}, { root: true, sampledParent: true, unsampledParent: true }],
    ['always_off', {}, { root: false, sampledParent: false, unsampledParent: false }],
    ['parentbased_always_off', {}, { root: false, sampledParent: true, unsampledParent: false }],
    [
      'traceidratio',
      { OTEL_TRACES_SAMPLER_ARG: '0' },
      { root: false, sampledParent: false, unsampledParent: false },
    ],
    [
      'traceidratio',
      { OTEL_TRACES_SAMPLER_ARG: '1' },
      { root: true, sampledParent: true, unsampledParent: true },
    ],
    [
      'parentbased_traceidratio',
      { OTEL_TRACES_SAMPLER_ARG: '0' },
      { root: false, sampledParent: true, unsampledParent: false },
    ],
  ])('follows OTEL_TRACES_SAMPLER=%s %p', (sampler, extra, expected) => {
    expect(sampledWith({ OTEL_TRACES_SAMPLER: sampler, ...extra })).toEqual(expected);
  });

  it('describes the service in the resource, letting OTEL_RESOURCE_ATTRIBUTES add to it', () => {
    const exporter = new InMemorySpanExporter();
    const sut = withEnv({ OTEL_RESOURCE_ATTRIBUTES: 'deployment.environment.name=test' }, () =>
      createTracerProvider(OPTIONS, [new SimpleSpanProcessor(exporter)]),
    );

    sut.getTracer('test').startSpan('x').end();

    const [span] = exporter.getFinishedSpans();
    expect(span.resource.attributes).toMatchObject({
      'service.name': 'product',
      'service.version': '1.2.3',
      'service.instance.id': expect.stringMatching(/^[0-9a-f-]{36}$/),
      'deployment.environment.name': 'test',
      'telemetry.sdk.language': 'nodejs',
    });
  });

  it('bounds attribute sizes and counts unless the standard variables say otherwise', () => {
    const record = (vars: Record<string, string>) => {
      const exporter = new InMemorySpanExporter();
      const sut = withEnv(vars, () => createTracerProvider(OPTIONS, [new SimpleSpanProcessor(exporter)]));
      const span = sut.getTracer('test').startSpan('query');
      span.setAttribute('db.query.text', 'x'.repeat(10_000));
      for (let i = 0; i < 100; i++) span.setAttribute(`extra.${i}`, i);
      span.end();
      return exporter.getFinishedSpans()[0].attributes;
    };

    const bounded = record({});
    expect(String(bounded['db.query.text'])).toHaveLength(DEFAULT_SPAN_LIMITS.attributeValueLengthLimit);
    expect(Object.keys(bounded)).toHaveLength(DEFAULT_SPAN_LIMITS.attributeCountLimit);

    const overridden = record({
      OTEL_SPAN_ATTRIBUTE_VALUE_LENGTH_LIMIT: '100',
      OTEL_ATTRIBUTE_COUNT_LIMIT: '10',
    });
    expect(String(overridden['db.query.text'])).toHaveLength(100);
    expect(Object.keys(overridden)).toHaveLength(10);
  });
});

describe(isOperationalPath.name, () => {
  it.each(['/health/live', '/health/ready', '/metrics', '/metrics?x=1'])('skips %s', (url) => {
    expect(isOperationalPath(url)).toBe(true);
  });

  it.each(['/api/v1/products', '/healthz', '/metrics-export', undefined])('traces %s', (url) => {
    expect(isOperationalPath(url)).toBe(false);
  });
});
