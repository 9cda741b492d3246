import { TracingConfigError, tracingDecision } from './tracing-env';

const ENDPOINT = { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://otel-collector:4318' };

describe(tracingDecision.name, () => {
  it('is off when no OTLP endpoint is configured, whatever else is set', () => {
    expect(tracingDecision({})).toEqual({
      enabled: false,
      reason: expect.stringMatching(/OTEL_EXPORTER_OTLP_ENDPOINT/),
    });
    expect(tracingDecision({ OTEL_EXPORTER_OTLP_ENDPOINT: '  ', OTEL_TRACES_SAMPLER: 'bogus' }).enabled).toBe(
      false,
    );
  });

  it.each([
    ['the general endpoint', ENDPOINT],
    ['the traces endpoint', { OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'https://collector.example/v1/traces' }],
    ['OTEL_SDK_DISABLED=false', { ...ENDPOINT, OTEL_SDK_DISABLED: 'false' }],
  ])('is on with %s', (_case, env) => {
    expect(tracingDecision(env)).toEqual({ enabled: true });
  });

  it.each([
    [{ ...ENDPOINT, OTEL_SDK_DISABLED: 'true' }, /OTEL_SDK_DISABLED/],
    [{ ...ENDPOINT, OTEL_SDK_DISABLED: 'TRUE' }, /OTEL_SDK_DISABLED/],
    [{ ...ENDPOINT, OTEL_TRACES_EXPORTER: 'none' }, /OTEL_TRACES_EXPORTER/],
  ])('is off when the standard variables say so: %p', (env, reason) => {
    expect(tracingDecision(env)).toEqual({ enabled: false, reason: expect.stringMatching(reason) });
  });

  it('does not validate anything when the SDK is disabled', () => {
    expect(
      tracingDecision({ ...ENDPOINT, OTEL_SDK_DISABLED: 'true', OTEL_TRACES_SAMPLER: 'bogus' }).enabled,
    ).toBe(false);
  });

  it.each([
    ['OTEL_TRACES_SAMPLER', 'always', /must be one of always_on, always_off/],
    ['OTEL_TRACES_SAMPLER', 'parentbased_jaeger_remote', /must be one of/],
    ['OTEL_EXPORTER_OTLP_ENDPOINT', 'otel-collector:4318', /http:\/\/ or https:\/\//],
    ['OTEL_EXPORTER_OTLP_TRACES_ENDPOINT', 'not a url', /http:\/\/ or https:\/\//],
    ['OTEL_EXPORTER_OTLP_PROTOCOL', 'grpc', /grpc is not supported/],
    ['OTEL_EXPORTER_OTLP_TRACES_PROTOCOL', 'http/xml', /must be one of http\/json, http\/protobuf/],
    ['OTEL_TRACES_EXPORTER', 'zipkin', /otlp or none/],
    ['OTEL_BSP_SCHEDULE_DELAY', '1s', /non-negative integer/],
    ['OTEL_SPAN_ATTRIBUTE_VALUE_LENGTH_LIMIT', '-1', /non-negative integer/],
    ['OTEL_LOG_LEVEL', 'loud', /must be one of none, error/],
  ])('rejects %s=%s and names the variable', (variable, value, reason) => {
    const attempt = (): unknown => tracingDecision({ ...ENDPOINT, [variable]: value });
    expect(attempt).toThrow(TracingConfigError);
    expect(attempt).toThrow(new RegExp(`${variable}: .*${reason.source}`));
  });

  it.each(['-0.1', '1.5', 'half'])('rejects a sampling ratio of %s for a ratio sampler', (ratio) => {
    expect(() =>
      tracingDecision({
        ...ENDPOINT,
        OTEL_TRACES_SAMPLER: 'parentbased_traceidratio',
        OTEL_TRACES_SAMPLER_ARG: ratio,
      }),
    ).toThrow(/OTEL_TRACES_SAMPLER_ARG: must be a number from 0 to 1/);
  });

  it('accepts the standard sampler settings', () => {
    for (const sampler of ['always_on', 'parentbased_always_off', 'traceidratio']) {
      expect(
        tracingDecision({ ...ENDPOINT, OTEL_TRACES_SAMPLER: sampler, OTEL_TRACES_SAMPLER_ARG: '0.25' }),
      ).toEqual({
        enabled: true,
      });
    }
  });

  it('reports every bad variable at once without echoing values', () => {
    try {
      tracingDecision({
        OTEL_EXPORTER_OTLP_ENDPOINT: 'ftp://user:s3cret@collector',
        OTEL_TRACES_SAMPLER: 'sometimes',
      });
      throw new Error('expected a TracingConfigError');
    } catch (error) {
      expect(error).toBeInstanceOf(TracingConfigError);
      const { problems, message } = error as TracingConfigError;
      expect(problems.map((p) => p.variable)).toEqual(['OTEL_EXPORTER_OTLP_ENDPOINT', 'OTEL_TRACES_SAMPLER']);
      expect(message).not.toContain('s3cret');
    }
  });
});
