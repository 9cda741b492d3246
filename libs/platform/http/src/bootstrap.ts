import { HttpEnv, loadEnv, PgEnv } from '@emporium/platform/config';
import { revertLastMigration, runMigrations, ServiceDatabase } from '@emporium/platform/database';
import { LifecycleState } from '@emporium/platform/health';
import { Logger } from '@emporium/platform/logging';
import { shutdownTracing } from '@emporium/platform/tracing';
import { INestApplicationContext, Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';

import { createServiceApp } from './create-app';
import { ServiceDescriptor } from './service-descriptor';

/** api.md: "exits 0 within 10 s" of SIGTERM; the drain delay counts against it. */
const SHUTDOWN_DEADLINE_MS = 9_500;

export interface BootstrapOptions {
  /** The service's schema, entities and migrations, for the `migrate` subcommand. */
  database?: ServiceDatabase;
  /**
   * Extra one-shot subcommands (`node main.js <name>`), run inside the app's context without serving
   * HTTP, e.g. `seed` for demo data.
   */
  commands?: Record<string, (app: INestApplicationContext) => Promise<void>>;
  /**
   * Runs once the app's modules are initialised, before HTTP listens: where a service attaches and starts
   * another server on the same app, e.g. a gRPC microservice (`app.connectMicroservice(...)` then
   * `app.startAllMicroservices()`). What it starts is stopped by `app.close()` on SIGTERM, inside the same
   * 10 s budget. A rejection is a start-up failure.
   */
  beforeListen?: (app: NestFastifyApplication) => Promise<void>;
}

/**
 * The whole `main.ts` of a service. `node main.js migrate` applies migrations and exits; `node main.js`
 * serves until SIGTERM/SIGINT, then drains and exits 0 (1 if draining overruns the deadline). Any start-up
 * failure (a bad env var, an unreachable database after retries) is printed and exits 1.
 */
export function bootstrapService(
  module: Type<unknown>,
  service: ServiceDescriptor,
  options: BootstrapOptions = {},
): void {
  start(module, service, options).catch((error: unknown) => {
    const message = error instanceof Error ? error.message : String(error);
    process.stderr.write(
      `${JSON.stringify({ level: 'fatal', service: service.name, msg: `start-up failed: ${message}` })}\n`,
    );
    process.exit(1);
  });
}

async function start(
  module: Type<unknown>,
  service: ServiceDescriptor,
  options: BootstrapOptions,
): Promise<void> {
  const command = process.argv[2];
  if (command === 'migrate') return migrate(service, options.database);
  if (command === 'migrate:revert') return revert(service, options.database);
  const custom = command === undefined ? undefined : options.commands?.[command];
  if (custom) return runCommand(module, custom);
  if (command !== undefined) {
    const known = ['migrate', 'migrate:revert', ...Object.keys(options.commands ?? {})].join(' | ');
    process.stderr.write(`Unknown command "${command}". Usage: node main.js [${known}]\n`);
    process.exit(2);
  }

  const app = await createServiceApp(module, service);
  const http = app.get(HttpEnv);
  const lifecycle = app.get(LifecycleState);
  const logger = app.get(Logger);

  let stopping = false;
  const stop = async (signal: NodeJS.Signals): Promise<void> => {
    if (stopping) return;
    stopping = true;
    const forced = setTimeout(() => {
      logger.error(`Shutdown overran ${SHUTDOWN_DEADLINE_MS} ms; exiting`);
      process.exit(1);
    }, SHUTDOWN_DEADLINE_MS);
    forced.unref();
    logger.log(`${signal} received: readiness is now 503, draining`);
    lifecycle.beginShutdown();
    if (http.SHUTDOWN_DRAIN_MS > 0)
      await new Promise((resolve) => setTimeout(resolve, http.SHUTDOWN_DRAIN_MS));
    // Stops accepting connections, waits for in-flight requests, then runs module shutdown hooks
    // (consumers, registry, database pool) in reverse dependency order.
    await app.close();
    await shutdownTracing();
    logger.log('Shutdown complete');
    process.exit(0);
  };
  process.once('SIGTERM', (signal) => void stop(signal));
  process.once('SIGINT', (signal) => void stop(signal));

  if (options.beforeListen) {
    await app.init();
    await options.beforeListen(app);
  }
  await app.listen({ port: http.PORT, host: '0.0.0.0' });
  logger.log(`${service.name} ${service.version} listening on port ${http.PORT}`);
}

async function migrate(service: ServiceDescriptor, database: ServiceDatabase | undefined): Promise<void> {
  if (!database) {
    process.stdout.write(`${service.name} has no database; nothing to migrate\n`);
    return;
  }
  const pg = loadEnv(PgEnv);
  const report = await runMigrations(pg, database);
  const applied = report.applied.length > 0 ? report.applied.join(', ') : 'none pending';
  process.stdout.write(
    `${JSON.stringify({ level: 'info', service: service.name, msg: `migrations applied: ${applied}` })}\n`,
  );
}

async function revert(service: ServiceDescriptor, database: ServiceDatabase | undefined): Promise<void> {
  if (!database) throw new Error(`${service.name} has no database`);
  await revertLastMigration(loadEnv(PgEnv), database);
  process.stdout.write(
    `${JSON.stringify({ level: 'info', service: service.name, msg: 'last migration reverted' })}\n`,
  );
}

async function runCommand(
  module: Type<unknown>,
  command: (app: INestApplicationContext) => Promise<void>,
): Promise<void> {
  const app = await NestFactory.createApplicationContext(module, { bufferLogs: true, abortOnError: false });
  app.useLogger(app.get(Logger));
  try {
    await command(app);
  } finally {
    await app.close();
  }
}
