import { dirname, resolve } from 'node:path';

import { PROTO_LOADER_OPTIONS, USER_GRPC } from '@emporium/contracts';
import { Server } from '@grpc/grpc-js';
import { loadSync, PackageDefinition } from '@grpc/proto-loader';
import { ReflectionService } from '@grpc/reflection';
import { BeforeApplicationShutdown, INestApplication, Injectable, Logger } from '@nestjs/common';
import { GrpcOptions, Transport } from '@nestjs/microservices';
import { protoPath as healthProtoPath } from 'grpc-health-check';

import { GrpcEnv } from './grpc.env';
import { GrpcHealth } from './grpc-health';

/**
 * How long calls in flight may run on after SIGTERM's drain window, before they are cancelled. Kept well
 * inside the 10 s shutdown budget (api.md), which the drain window and the HTTP drain share.
 */
export const GRPC_SHUTDOWN_GRACE_MS = 3_000;
/** Largest accepted request message; this API's requests are a few hundred bytes. */
const MAX_RECEIVE_MESSAGE_BYTES = 64 * 1024;

// What reflection describes: the UserService and the health service, loaded with their field names as
// written (`created_at`), not camelCased as the runtime's definition has them, so clients generated from
// reflection match clients generated from the .proto.
const REFLECTION_DEFINITION: PackageDefinition = {
  ...loadSync(USER_GRPC.protoPath, { ...PROTO_LOADER_OPTIONS, keepCase: true }),
  ...loadSync('health/v1/health.proto', {
    ...PROTO_LOADER_OPTIONS,
    keepCase: true,
    includeDirs: [resolve(dirname(healthProtoPath), '../..')],
  }),
};

/**
 * The service's gRPC server (Nest's gRPC transport underneath): adds health and reflection to it once Nest
 * has bound it, and drains it on shutdown within GRPC_SHUTDOWN_GRACE_MS.
 */
@Injectable()
export class GrpcServer implements BeforeApplicationShutdown {
  private readonly logger = new Logger(GrpcServer.name);
  private server?: Server;

  constructor(private readonly health: GrpcHealth) {}

  /** Nest's `onLoadPackageDefinition` hook: runs once the server is bound, before the services are added. */
  attach(server: Server): void {
    new ReflectionService(REFLECTION_DEFINITION).addToServer(server);
    this.health.implementation.addToServer(server);
    this.server = server;
  }

  /**
   * Runs before Nest closes its servers (its gRPC transport then only force-closes what is left): the
   * health service turns NOT_SERVING, new calls are refused, calls in flight may finish within the grace
   * period and are cancelled after it (Watch streams of the health service never finish on their own).
   */
  async beforeApplicationShutdown(): Promise<void> {
    this.health.stop();
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    let timer: NodeJS.Timeout | undefined;
    const drained = new Promise<boolean>((done) => server.tryShutdown(() => done(true)));
    const overran = new Promise<boolean>((done) => {
      timer = setTimeout(() => done(false), GRPC_SHUTDOWN_GRACE_MS);
    });
    const finished = await Promise.race([drained, overran]);
    clearTimeout(timer);
    if (!finished) {
      this.logger.warn(`gRPC calls still open after ${GRPC_SHUTDOWN_GRACE_MS} ms were cancelled`);
      server.forceShutdown();
    }
  }
}

/**
 * The `beforeListen` hook of `main.ts` (and of the tests' `createTestApp`): serves the UserService of
 * libs/contracts on GRPC_PORT, with the standard health service and server reflection, on the same app
 * (same providers, database pool and shutdown) as the REST API.
 */
export async function startGrpcServer(app: INestApplication): Promise<void> {
  const env = app.get(GrpcEnv);
  const server = app.get(GrpcServer);
  await app.get(GrpcHealth).start();
  app.connectMicroservice<GrpcOptions>({
    transport: Transport.GRPC,
    options: {
      package: USER_GRPC.package,
      protoPath: USER_GRPC.protoPath,
      loader: PROTO_LOADER_OPTIONS,
      url: `0.0.0.0:${env.GRPC_PORT}`,
      maxReceiveMessageLength: MAX_RECEIVE_MESSAGE_BYTES,
      onLoadPackageDefinition: (_definition: PackageDefinition, grpcServer: Server) =>
        server.attach(grpcServer),
    },
  });
  await app.startAllMicroservices();
}
