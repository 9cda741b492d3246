import { LifecycleState, ReadinessRegistry } from '@emporium/platform/health';
import { Metadata, sendUnaryData, ServerUnaryCall } from '@grpc/grpc-js';
import { HealthImplementation, ServingStatus } from 'grpc-health-check';

import { GrpcHealth } from './grpc-health';

type CheckHandler = (
  call: ServerUnaryCall<{ service: string }, { status: ServingStatus }>,
  callback: sendUnaryData<{ status: ServingStatus }>,
) => void;

/** What the health service answers to Check, through its real handler. */
function check(implementation: HealthImplementation, service: string): Promise<ServingStatus> {
  let handlers: Record<string, CheckHandler> = {};
  implementation.addToServer({
    addService: (_definition: unknown, implementationOf: Record<string, CheckHandler>) => {
      handlers = implementationOf;
    },
  } as unknown as Parameters<HealthImplementation['addToServer']>[0]);
  return new Promise((resolve, reject) => {
    handlers['check'](
      { request: { service }, metadata: new Metadata() } as ServerUnaryCall<
        { service: string },
        { status: ServingStatus }
      >,
      (error, response) => (error ? reject(error) : resolve((response as { status: ServingStatus }).status)),
    );
  });
}

describe(GrpcHealth.name, () => {
  let readiness: ReadinessRegistry;
  let lifecycle: LifecycleState;
  let databaseUp: boolean;
  let sut: GrpcHealth;

  beforeEach(() => {
    readiness = new ReadinessRegistry();
    lifecycle = new LifecycleState();
    databaseUp = true;
    readiness.register('database', async () => {
      if (!databaseUp) throw new Error('down');
    });
    sut = new GrpcHealth(readiness, lifecycle);
  });

  afterEach(() => sut.stop());

  it('reports NOT_SERVING until readiness has been evaluated, then SERVING for the server and the service', async () => {
    await expect(check(sut.implementation, '')).resolves.toBe('NOT_SERVING');
    await sut.start();
    await expect(check(sut.implementation, '')).resolves.toBe('SERVING');
    await expect(check(sut.implementation, 'emporium.user.v1.UserService')).resolves.toBe('SERVING');
  });

  it('follows readiness: a failing check makes it NOT_SERVING, its recovery SERVING again', async () => {
    await sut.start();
    databaseUp = false;
    await sut.refresh();
    await expect(check(sut.implementation, 'emporium.user.v1.UserService')).resolves.toBe('NOT_SERVING');
    databaseUp = true;
    await sut.refresh();
    expect(sut.current).toBe('SERVING');
  });

  it('is NOT_SERVING once shutdown has begun, and stays so after stop()', async () => {
    await sut.start();
    lifecycle.beginShutdown();
    await sut.refresh();
    expect(sut.current).toBe('NOT_SERVING');
    sut.stop();
    await sut.refresh();
    await expect(check(sut.implementation, '')).resolves.toBe('NOT_SERVING');
  });

  it('shares one evaluation between concurrent refreshes', async () => {
    let evaluations = 0;
    readiness.register('counted', async () => {
      evaluations += 1;
    });
    await Promise.all([sut.refresh(), sut.refresh(), sut.refresh()]);
    expect(evaluations).toBe(1);
  });
});
