import { randomBytes } from 'node:crypto';

import { createTestApp, TestApp } from '@emporium/platform/test-app';

import { AppModule } from '../src/app/app.module';
import { AUTH_DATABASE, AUTH_SERVICE } from '../src/app/service';

/** Rates high enough that only tests about rate limits ever meet them (every request comes from 127.0.0.1). */
export const GENEROUS_RATE_LIMITS = {
  AUTH_RATE_LIMIT_LOGIN_IP: '10000/1m',
  AUTH_RATE_LIMIT_LOGIN_ACCOUNT: '10000/1m',
  AUTH_RATE_LIMIT_REGISTER_IP: '10000/1m',
  AUTH_RATE_LIMIT_REFRESH_IP: '10000/1m',
};

/**
 * The real auth app on its own migrated database (or, with `PG_URL` in `env` and `migrate: false`, on
 * another app's database: a second replica). No signing key is configured, so it generates one and keeps it
 * in the database, as local runs do.
 */
export function startAuthApp(env: Record<string, string> = {}, migrate = true): Promise<TestApp> {
  return createTestApp({
    module: AppModule,
    service: AUTH_SERVICE,
    database: migrate ? AUTH_DATABASE : undefined,
    broker: true,
    env: { ...GENEROUS_RATE_LIMITS, ...env },
  });
}

export interface Registration {
  email: string;
  password: string;
  name: string;
}

/** A valid registration body with a unique e-mail and password. */
export function registration(overrides: Partial<Registration> = {}): Registration {
  const unique = randomBytes(5).toString('hex');
  return {
    email: `user-${unique}@example.com`,
    password: `pw-${unique}-${randomBytes(6).toString('base64url')}`,
    name: `User ${unique}`,
    ...overrides,
  };
}

export interface TokenPair {
  accessToken: string;
  refreshToken: string;
  tokenType: string;
  expiresIn: number;
}

export interface ProblemBody {
  type: string;
  title: string;
  status: number;
  detail: string;
  code: string;
  instance?: string;
  requestId?: string;
  errors?: { field: string; message: string }[];
}

/** Reads one JWT part without verifying anything: for asserting what auth put in its own tokens. */
export function decodeJwtPart<T>(token: string, part: 0 | 1): T {
  return JSON.parse(Buffer.from(token.split('.')[part], 'base64url').toString('utf8')) as T;
}
