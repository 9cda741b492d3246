import { AuthEnv } from '@emporium/platform/config';
import { DynamicModule, Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';

import { AccessTokenGuard } from './access-token.guard';
import { AccessTokenKeys, JwksAccessTokenKeys } from './access-token-keys';
import { AccessTokenVerifier } from './access-token-verifier';

export interface AuthModuleOptions {
  /**
   * Shortest time between two JWKS fetches caused by tokens with an unknown kid, and the retry pause while
   * auth is unreachable. A key auth starts signing with is accepted at most this long after our last fetch,
   * so auth publishes new keys before using them. Default 30 s.
   */
  jwksCooldownMs?: number;
  /** How long one JWKS fetch may take before the request fails with 503. Default 5 s. */
  jwksTimeoutMs?: number;
}

const DEFAULT_COOLDOWN_MS = 30_000;
const DEFAULT_TIMEOUT_MS = 5_000;

/**
 * Makes every HTTP route of the app require an access token issued by auth (see README). Needs AuthEnv,
 * which the app's ConfigModule provides.
 */
@Module({})
export class AuthModule {
  static forRoot(options: AuthModuleOptions = {}): DynamicModule {
    return {
      module: AuthModule,
      global: true,
      providers: [
        {
          provide: AccessTokenKeys,
          useFactory: (env: AuthEnv) =>
            new JwksAccessTokenKeys(new URL(env.AUTH_JWKS_URL), {
              cacheMaxAgeMs: env.AUTH_JWKS_CACHE_MS,
              cooldownMs: options.jwksCooldownMs ?? DEFAULT_COOLDOWN_MS,
              timeoutMs: options.jwksTimeoutMs ?? DEFAULT_TIMEOUT_MS,
            }),
          inject: [AuthEnv],
        },
        AccessTokenVerifier,
        { provide: APP_GUARD, useClass: AccessTokenGuard },
      ],
      exports: [AccessTokenVerifier],
    };
  }
}
