import { grpcServiceName, USER_GRPC } from '@emporium/contracts';
import { LifecycleState, ReadinessRegistry } from '@emporium/platform/health';
import { Injectable } from '@nestjs/common';
import { HealthImplementation, ServingStatus } from 'grpc-health-check';

/** How often readiness is re-evaluated for the health service (one `SELECT 1`; the HTTP probe asks every 5 s). */
export const HEALTH_POLL_MS = 1_000;
/** The same per-check bound as `/health/ready`. */
const CHECK_TIMEOUT_MS = 2_000;

/**
 * The standard gRPC health service (grpc.health.v1.Health, grpc-health-check's implementation), whose
 * status follows `/health/ready`: SERVING while every readiness check passes and the process is not
 * shutting down, NOT_SERVING otherwise. Reported for the whole server (`""`) and for the UserService.
 * Statuses are pushed (Watch streams see changes), so readiness is evaluated on a timer while serving.
 */
@Injectable()
export class GrpcHealth {
  readonly implementation: HealthImplementation;
  readonly services: readonly string[] = ['', grpcServiceName(USER_GRPC)];
  private status: ServingStatus = 'NOT_SERVING';
  private timer?: NodeJS.Timeout;
  private refreshing?: Promise<void>;
  private stopped = false;

  constructor(
    private readonly readiness: ReadinessRegistry,
    private readonly lifecycle: LifecycleState,
  ) {
    this.implementation = new HealthImplementation(
      Object.fromEntries(this.services.map((service) => [service, this.status])),
    );
  }

  get current(): ServingStatus {
    return this.status;
  }

  /** Evaluates readiness once, then keeps doing so every HEALTH_POLL_MS until stop(). */
  async start(): Promise<void> {
    this.stopped = false;
    await this.refresh();
    this.timer ??= setInterval(() => void this.refresh(), HEALTH_POLL_MS);
    this.timer.unref();
  }

  /** NOT_SERVING from now on (shutdown). */
  stop(): void {
    this.stopped = true;
    clearInterval(this.timer);
    this.timer = undefined;
    this.set('NOT_SERVING');
  }

  /** Re-evaluates readiness now; concurrent callers share one evaluation. */
  refresh(): Promise<void> {
    this.refreshing ??= this.evaluate()
      .then((status) => {
        if (!this.stopped) this.set(status);
      })
      .finally(() => {
        this.refreshing = undefined;
      });
    return this.refreshing;
  }

  private async evaluate(): Promise<ServingStatus> {
    if (this.lifecycle.isShuttingDown) return 'NOT_SERVING';
    try {
      await Promise.all(this.readiness.entries().map(([, check]) => withTimeout(check(), CHECK_TIMEOUT_MS)));
      return 'SERVING';
    } catch {
      return 'NOT_SERVING';
    }
  }

  private set(status: ServingStatus): void {
    if (status === this.status) return;
    this.status = status;
    for (const service of this.services) this.implementation.setStatus(service, status);
  }
}

async function withTimeout(work: Promise<void>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  try {
    await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
