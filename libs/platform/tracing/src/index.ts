export type { ShutdownTracingOptions, TraceContext, TracingOptions } from './tracing';
export { activeTraceContext, shutdownTracing, startTracing } from './tracing';
export { TracingModule } from './tracing.module';
export { TracingConfigError } from './tracing-env';
