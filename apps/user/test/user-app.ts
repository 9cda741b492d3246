import { randomBytes, randomUUID } from 'node:crypto';

import { createTestApp, TestApp } from '@emporium/platform/test-app';
import { TestTokenIssuer } from '@emporium/platform/testing';
import { freePort } from '@emporium/platform/testing';
import request from 'supertest';
import { DataSource } from 'typeorm';

import { AppModule } from '../src/app/app.module';
import { USER_DATABASE, USER_SERVICE } from '../src/app/service';
import { startGrpcServer } from '../src/grpc/grpc-server';
import { ProfilesService } from '../src/profiles/profiles.service';
import { UserGrpcClient } from './grpc-clients';

/** Someone with a profile (created the way auth's `user.registered` creates it) and an access token. */
export interface Actor {
  id: string;
  email: string;
  name: string;
  token: string;
}

export interface UserTestContext {
  testApp: TestApp;
  issuer: TestTokenIssuer;
  grpcPort: number;
  grpc: UserGrpcClient;
  http(): ReturnType<typeof request>;
  /** A new customer with a profile. */
  customer(overrides?: Partial<Omit<Actor, 'token'>>): Promise<Actor>;
  /** A new admin with a profile. */
  admin(): Promise<Actor>;
  /** Creates the profile as the `user.registered` consumer does: in a transaction, idempotently. */
  register(registration: { userId: string; email: string; name: string }): Promise<boolean>;
  close(): Promise<void>;
}

export interface StartOptions {
  env?: Record<string, string>;
  routeDatabase?: (url: string) => string;
}

/** A unique e-mail address for a test user. */
export const uniqueEmail = (): string => `u-${randomBytes(6).toString('hex')}@example.test`;

/**
 * The real user app (REST and gRPC, started by the same hook as main.ts) on its own migrated database, with
 * a token issuer standing in for auth.
 */
export async function startUserApp(options: StartOptions = {}): Promise<UserTestContext> {
  const issuer = await TestTokenIssuer.start();
  const grpcPort = await freePort();
  const testApp = await createTestApp({
    broker: true,
    module: AppModule,
    service: USER_SERVICE,
    database: USER_DATABASE,
    routeDatabase: options.routeDatabase,
    env: { ...issuer.env(), GRPC_PORT: String(grpcPort), ...options.env },
    beforeListen: startGrpcServer,
  });
  const grpc = new UserGrpcClient(grpcPort);
  const profiles = testApp.app.get(ProfilesService);
  const dataSource = testApp.app.get(DataSource);

  const register: UserTestContext['register'] = (registration) =>
    dataSource.transaction((manager) => profiles.createFromRegistration(manager, registration));

  const actor = async (roles: string[], overrides: Partial<Omit<Actor, 'token'>> = {}): Promise<Actor> => {
    const id = overrides.id ?? randomUUID();
    const email = overrides.email ?? uniqueEmail();
    const name = overrides.name ?? `User ${id.slice(0, 8)}`;
    await register({ userId: id, email, name });
    return { id, email, name, token: await issuer.mint({ sub: id, email, roles }) };
  };

  return {
    testApp,
    issuer,
    grpcPort,
    grpc,
    http: () => request(testApp.server),
    customer: (overrides) => actor(['customer'], overrides),
    admin: () => actor(['admin']),
    register,
    close: async () => {
      grpc.close();
      await testApp.close();
      await issuer.stop();
    },
  };
}

/** A valid address body; override any field. */
export function addressInput(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return { line1: '1 Main Street', city: 'Springfield', postalCode: '12345', country: 'US', ...overrides };
}
