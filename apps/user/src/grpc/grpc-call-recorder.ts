import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';

import { MetricsService } from '@emporium/platform/metrics';
import { Metadata, status } from '@grpc/grpc-js';
import { ArgumentsHost, Injectable, Logger } from '@nestjs/common';
import type { Counter, Histogram } from 'prom-client';

import { GrpcFailure } from './grpc-errors';

export const REQUEST_ID_METADATA = 'x-request-id';
/** The key of the stable error code (`PROFILE_NOT_FOUND`, …) in a failed call's trailing metadata. */
export const ERROR_CODE_METADATA = 'error-code';

// The same ids the HTTP side accepts (libs/platform/logging, requestIdFor).
const ACCEPTABLE_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** One gRPC call, as its log line and metrics name it. */
export interface GrpcCall {
  service: string;
  method: string;
  requestId: string;
  metadata: Metadata;
}

interface CallPath {
  getPath(): string;
}

// Per call, by its metadata object: the request id (read or generated once) and when the handler chain
// was entered (calls refused by the guard never get there).
const requestIds = new WeakMap<Metadata, string>();
const startedAt = new WeakMap<Metadata, number>();

/**
 * One log line and the metrics of every gRPC call, like the HTTP request line and RED metrics: service,
 * method, status code, request id and duration. Never the metadata or the messages, so no token, e-mail
 * or name reaches a log line. The call interceptor records successes, the exception filter failures.
 */
@Injectable()
export class GrpcCallRecorder {
  private readonly logger = new Logger('GrpcCall');
  private readonly handled: Counter<'grpc_service' | 'grpc_method' | 'grpc_code'>;
  private readonly duration: Histogram<'grpc_service' | 'grpc_method'>;

  constructor(metrics: MetricsService) {
    this.handled = metrics.counter({
      name: 'grpc_server_handled_total',
      help: 'gRPC calls completed by the server, by status code.',
      labelNames: ['grpc_service', 'grpc_method', 'grpc_code'],
    });
    this.duration = metrics.histogram({
      name: 'grpc_server_handling_seconds',
      help: 'Time from the handler chain being entered to the answer, for calls past authentication.',
      labelNames: ['grpc_service', 'grpc_method'],
    });
  }

  /** The call being served: `[request, metadata, call]` are a gRPC handler's arguments. */
  describe(host: ArgumentsHost): GrpcCall {
    const metadata = host.getArgByIndex<Metadata>(1);
    const path = host.getArgByIndex<CallPath>(2).getPath();
    const [, service = 'unknown', method = 'unknown'] = /^\/([^/]+)\/([^/]+)$/.exec(path) ?? [];
    let requestId = requestIds.get(metadata);
    if (requestId === undefined) {
      const [incoming] = metadata.get(REQUEST_ID_METADATA);
      requestId = typeof incoming === 'string' && ACCEPTABLE_ID.test(incoming) ? incoming : randomUUID();
      requestIds.set(metadata, requestId);
    }
    return { service, method, requestId, metadata };
  }

  /** Marks the start of the handler chain and echoes the request id in the response headers. */
  begin(host: ArgumentsHost): GrpcCall {
    const call = this.describe(host);
    startedAt.set(call.metadata, performance.now());
    const headers = new Metadata();
    headers.set(REQUEST_ID_METADATA, call.requestId);
    host.getArgByIndex<{ sendMetadata(metadata: Metadata): void }>(2).sendMetadata(headers);
    return call;
  }

  succeeded(call: GrpcCall): void {
    const responseTime = this.observe(call, status.OK);
    this.logger.log(this.line(call, status.OK, responseTime), 'grpc call completed');
  }

  failed(call: GrpcCall, failure: GrpcFailure, error: unknown): void {
    const responseTime = this.observe(call, failure.code);
    const line = this.line(call, failure.code, responseTime);
    if (failure.serverFault) this.logger.error({ ...line, err: error }, 'grpc call failed');
    else if (failure.code === status.UNAVAILABLE)
      this.logger.warn(line, 'grpc call failed: dependency unavailable');
    else this.logger.warn(line, 'grpc call completed');
  }

  /** Counts the call and returns its duration in ms, when it got as far as the handler chain. */
  private observe(call: GrpcCall, code: status): number | undefined {
    const labels = { grpc_service: call.service, grpc_method: call.method };
    this.handled.inc({ ...labels, grpc_code: status[code] });
    const started = startedAt.get(call.metadata);
    if (started === undefined) return undefined;
    const ms = performance.now() - started;
    this.duration.observe(labels, ms / 1000);
    return Math.round(ms * 100) / 100;
  }

  private line(call: GrpcCall, code: status, responseTime: number | undefined): Record<string, unknown> {
    return {
      requestId: call.requestId,
      rpc: { service: call.service, method: call.method, code: status[code] },
      ...(responseTime === undefined ? {} : { responseTime }),
    };
  }
}
