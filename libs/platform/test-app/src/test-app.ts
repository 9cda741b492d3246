import type { Server } from 'node:http';

import { loadEnv, PgEnv } from '@emporium/platform/config';
import { runMigrations, ServiceDatabase } from '@emporium/platform/database';
import { createServiceApp, ServiceDescriptor } from '@emporium/platform/http';
import { createTestDatabase, createTestVhost, TestDatabase, TestVhost } from '@emporium/platform/testing';
import { Type } from '@nestjs/common';
import { NestFastifyApplication } from '@nestjs/platform-fastify';

export interface TestAppOptions {
  module: Type<unknown>;
  service: ServiceDescriptor;
  /** The service's schema and migrations; a fresh database is created and migrated when given. */
  database?: ServiceDatabase;
  /** Extra environment for this app (e.g. AUTH_JWKS_URL from a TestTokenIssuer). */
  env?: Record<string, string>;
  /**
   * A fresh RabbitMQ vhost for this app (RMQ_URL), deleted on close: needed by services that publish or
   * consume. Pass an existing one to share it between apps (it is then left for the caller to drop).
   */
  broker?: boolean | TestVhost;
  /** Rewrites the database URL the app (not the migration) uses, e.g. through a TcpProxy. */
  routeDatabase?: (url: string) => string;
  /**
   * The hook the service's `main.ts` gives `bootstrapService` (BootstrapOptions.beforeListen), run the same
   * way: after the app is initialised, e.g. to start its gRPC server. `close()` stops what it started.
   */
  beforeListen?: (app: NestFastifyApplication) => Promise<void>;
}

export interface TestApp {
  app: NestFastifyApplication;
  /** The Node HTTP server, for supertest. */
  server: Server;
  db?: TestDatabase;
  vhost?: TestVhost;
  close(): Promise<void>;
}

/**
 * Builds the real service app exactly as production does (same bootstrap, filters, pipes) on its own
 * migrated database, ready for supertest. Close it in afterAll: it drops the database.
 */
export async function createTestApp(options: TestAppOptions): Promise<TestApp> {
  const db = options.database ? await createTestDatabase(options.service.name) : undefined;
  const ownVhost = options.broker === true ? await createTestVhost(options.service.name) : undefined;
  const vhost = typeof options.broker === 'object' ? options.broker : ownVhost;
  const env: Record<string, string> = {
    LOG_LEVEL: process.env['TEST_LOG_LEVEL'] ?? 'silent',
    ...(db ? { PG_URL: db.url } : {}),
    ...(vhost ? { RMQ_URL: vhost.url } : {}),
    ...options.env,
  };
  const previous = applyEnv(env);
  try {
    if (db && options.database) await runMigrations(loadEnv(PgEnv), options.database);
    if (db && options.routeDatabase) process.env['PG_URL'] = options.routeDatabase(db.url);
    const app = await createServiceApp(options.module, options.service);
    await app.init();
    await app.getHttpAdapter().getInstance().ready();
    if (options.beforeListen) {
      try {
        await options.beforeListen(app);
      } catch (error) {
        await app.close();
        throw error;
      }
    }
    return {
      app,
      server: app.getHttpServer() as Server,
      db,
      vhost,
      close: async () => {
        await app.close();
        await Promise.all([db?.drop(), ownVhost?.drop()]);
      },
    };
  } catch (error) {
    await Promise.all([db?.drop(), ownVhost?.drop()]);
    throw error;
  } finally {
    applyEnv(previous);
  }
}

/** Sets variables and returns what they were, so the caller can put them back. */
function applyEnv(values: Record<string, string | undefined>): Record<string, string | undefined> {
  const previous: Record<string, string | undefined> = {};
  for (const [key, value] of Object.entries(values)) {
    previous[key] = process.env[key];
    if (value === undefined) delete process.env[key];
    else process.env[key] = value;
  }
  return previous;
}
