import { HTTP_DURATION_BUCKETS, MetricsService } from '@emporium/platform/metrics';
import { CircuitState } from 'cockatiel';
import { Counter, Gauge, Histogram } from 'prom-client';

/** How one attempt ended, the `outcome` label. */
export type AttemptOutcomeLabel =
  | 'success'
  | 'client_error'
  | 'server_error'
  | 'timeout'
  | 'network_error'
  | 'deadline_exceeded'
  | 'cancelled';

/** Why a call was refused without a request being sent, the `reason` label. */
export type RejectionReason = 'circuit_open' | 'no_instance' | 'registry_unavailable';

const STATE_LABELS: Readonly<Record<CircuitState, string>> = {
  [CircuitState.Closed]: 'closed',
  [CircuitState.Open]: 'open',
  [CircuitState.HalfOpen]: 'half_open',
  [CircuitState.Isolated]: 'isolated',
};

/** `closed`, `open`, `half_open` or `isolated`: the `state` label and the word used in logs. */
export function circuitStateName(state: CircuitState): string {
  return STATE_LABELS[state];
}

/**
 * The client's metrics, all labelled by `target` (the service called, a bounded set):
 * `emporium_upstream_request_duration_seconds{target,method,outcome}` per attempt,
 * `emporium_upstream_retries_total{target,method}`, `emporium_upstream_rejections_total{target,reason}`,
 * `emporium_upstream_circuit_state{target,state}` (1 for the current state, 0 for the others) and
 * `emporium_upstream_ejected_instances{target}`.
 */
export class UpstreamMetrics {
  readonly duration: Histogram<'target' | 'method' | 'outcome'>;
  readonly retries: Counter<'target' | 'method'>;
  readonly rejections: Counter<'target' | 'reason'>;
  readonly circuit: Gauge<'target' | 'state'>;
  readonly ejected: Gauge<'target'>;

  constructor(metrics: MetricsService) {
    this.duration = metrics.histogram({
      name: 'emporium_upstream_request_duration_seconds',
      help: 'Duration of each attempt of a call to another service, by target, method and outcome.',
      labelNames: ['target', 'method', 'outcome'],
      buckets: HTTP_DURATION_BUCKETS,
    });
    this.retries = metrics.counter({
      name: 'emporium_upstream_retries_total',
      help: 'Retried attempts of calls to another service.',
      labelNames: ['target', 'method'],
    });
    this.rejections = metrics.counter({
      name: 'emporium_upstream_rejections_total',
      help: 'Calls to another service failed at once, without a request: open circuit, no instance, no registry.',
      labelNames: ['target', 'reason'],
    });
    this.circuit = metrics.gauge({
      name: 'emporium_upstream_circuit_state',
      help: 'Circuit breaker state per target service: 1 for the current state, 0 for the others.',
      labelNames: ['target', 'state'],
    });
    this.ejected = metrics.gauge({
      name: 'emporium_upstream_ejected_instances',
      help: 'Instances of a target service currently ejected from load balancing after consecutive failures.',
      labelNames: ['target'],
    });
  }

  circuitState(target: string, state: CircuitState): void {
    for (const [value, label] of Object.entries(STATE_LABELS)) {
      this.circuit.set({ target, state: label }, Number(value) === state ? 1 : 0);
    }
  }
}
