import { context, ROOT_CONTEXT, trace, TraceFlags } from '@opentelemetry/api';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';

import { activeTraceContext } from './tracing';

type TracingApi = typeof import('./tracing');

const mockSdkLoaded = jest.fn();
const mockStartSdk = jest.fn();
jest.mock('./tracing-sdk', () => {
  mockSdkLoaded();
  return { startSdk: (...args: unknown[]): unknown => mockStartSdk(...args) };
});

const ENDPOINT = 'http://127.0.0.1:4318';
const OPTIONS = { serviceName: 'product', serviceVersion: '1.2.3' };

describe('startTracing', () => {
  let sut: TracingApi;
  let savedEnv: NodeJS.ProcessEnv;

  beforeEach(() => {
    savedEnv = { ...process.env };
    for (const key of Object.keys(process.env)) if (key.startsWith('OTEL_')) delete process.env[key];
    jest.resetModules();
    sut = jest.requireActual<TracingApi>('./tracing');
  });

  afterEach(async () => {
    await sut.shutdownTracing({ timeoutMs: 10 });
    process.env = savedEnv;
  });

  it('does nothing, not even load the SDK, without an OTLP endpoint', () => {
    expect(sut.startTracing(OPTIONS)).toBe(false);

    expect(mockSdkLoaded).not.toHaveBeenCalled();
    expect(mockStartSdk).not.toHaveBeenCalled();
  });

  it('does nothing when OTEL_SDK_DISABLED=true', () => {
    process.env.OTEL_EXPORTER_OTLP_ENDPOINT = ENDPOINT;
    process.env.OTEL_SDK_DISABLED = 'true';

    expect(sut.startTracing(OPTIONS)).toBe(false);
    expect(mockSdkLoaded).not.toHaveBeenCalled();
  });

  it('starts the SDK once when an endpoint is set', () => {
    process.env.OTEL_EXPORTER_OTLP_ENDPOINT = ENDPOINT;
    mockStartSdk.mockReturnValue({ shutdown: () => Promise.resolve() });

    expect(sut.startTracing(OPTIONS)).toBe(true);
    expect(sut.startTracing(OPTIONS)).toBe(true);

    expect(mockStartSdk).toHaveBeenCalledTimes(1);
    expect(mockStartSdk).toHaveBeenCalledWith(OPTIONS);
  });

  it('stops a service from starting with a malformed OTEL_* value', () => {
    process.env.OTEL_EXPORTER_OTLP_ENDPOINT = ENDPOINT;
    process.env.OTEL_TRACES_SAMPLER = 'sometimes';

    expect(() => sut.startTracing(OPTIONS)).toThrow(/OTEL_TRACES_SAMPLER: must be one of/);
    expect(mockStartSdk).not.toHaveBeenCalled();
  });
});

describe('shutdownTracing', () => {
  let sut: TracingApi;

  beforeEach(() => {
    process.env.OTEL_EXPORTER_OTLP_ENDPOINT = ENDPOINT;
    jest.resetModules();
    sut = jest.requireActual<TracingApi>('./tracing');
  });

  afterEach(() => {
    delete process.env.OTEL_EXPORTER_OTLP_ENDPOINT;
  });

  it('resolves at once when tracing never started', async () => {
    delete process.env.OTEL_EXPORTER_OTLP_ENDPOINT;
    sut.startTracing(OPTIONS);

    await expect(sut.shutdownTracing()).resolves.toBeUndefined();
  });

  it('shuts the SDK down once however often it is called', async () => {
    const shutdown = jest.fn(() => Promise.resolve());
    mockStartSdk.mockReturnValue({ shutdown });
    sut.startTracing(OPTIONS);

    await Promise.all([sut.shutdownTracing(), sut.shutdownTracing()]);
    await sut.shutdownTracing();

    expect(shutdown).toHaveBeenCalledTimes(1);
  });

  it('gives up after the timeout when the collector does not answer', async () => {
    mockStartSdk.mockReturnValue({ shutdown: () => new Promise<void>(() => undefined) });
    sut.startTracing(OPTIONS);
    const started = Date.now();

    await expect(sut.shutdownTracing({ timeoutMs: 50 })).resolves.toBeUndefined();

    expect(Date.now() - started).toBeLessThan(1_000);
  });

  it('never rejects, even when the SDK fails to shut down', async () => {
    mockStartSdk.mockReturnValue({ shutdown: () => Promise.reject(new Error('collector unreachable')) });
    sut.startTracing(OPTIONS);

    await expect(sut.shutdownTracing()).resolves.toBeUndefined();
  });

  it('lets tracing start again afterwards', async () => {
    mockStartSdk.mockReturnValue({ shutdown: () => Promise.resolve() });
    sut.startTracing(OPTIONS);
    await sut.shutdownTracing();

    expect(sut.startTracing(OPTIONS)).toBe(true);
    expect(mockStartSdk).toHaveBeenCalledTimes(2);
  });
});

describe(activeTraceContext.name, () => {
  it('is undefined outside a traced operation', () => {
    expect(activeTraceContext()).toBeUndefined();
  });

  it('returns the ids of the active span', () => {
    // Registers the async-local-storage context manager the SDK uses in a service.
    new NodeTracerProvider().register({ propagator: null });
    try {
      const spanContext = {
        traceId: '0af7651916cd43dd8448eb211c80319c',
        spanId: 'b7ad6b7169203331',
        traceFlags: TraceFlags.SAMPLED,
      };
      const inside = context.with(trace.setSpanContext(ROOT_CONTEXT, spanContext), activeTraceContext);

      expect(inside).toEqual({ traceId: spanContext.traceId, spanId: spanContext.spanId });
    } finally {
      trace.disable();
      context.disable();
    }
  });

  it('is undefined for an invalid span context', () => {
    new NodeTracerProvider().register({ propagator: null });
    try {
      const invalid = trace.wrapSpanContext({
        traceId: '0'.repeat(32),
        spanId: '0'.repeat(16),
        traceFlags: 0,
      });
      expect(context.with(trace.setSpan(ROOT_CONTEXT, invalid), activeTraceContext)).toBeUndefined();
    } finally {
      trace.disable();
      context.disable();
    }
  });
});
