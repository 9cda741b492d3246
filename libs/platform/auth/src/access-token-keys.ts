import { Logger } from '@nestjs/common';
import {
  createLocalJWKSet,
  createRemoteJWKSet,
  errors,
  FlattenedJWSInput,
  JSONWebKeySet,
  JWSHeaderParameters,
  KeyLike,
  RemoteJWKSetOptions,
} from 'jose';

import { AccessTokenKeysUnavailableException } from './auth.exceptions';

type KeyLookup = (header: JWSHeaderParameters, token?: FlattenedJWSInput) => Promise<KeyLike>;

/** The part of jose's remote JWKS this lib relies on. */
export type RemoteKeySet = KeyLookup & { jwks(): JSONWebKeySet | undefined };
export type RemoteKeySetFactory = (url: URL, options: RemoteJWKSetOptions) => RemoteKeySet;

/** Where AccessTokenVerifier gets a token's public key from; abstract so a test can hand in local keys. */
export abstract class AccessTokenKeys {
  abstract resolve(header: JWSHeaderParameters, token: FlattenedJWSInput): Promise<KeyLike>;
}

export interface JwksAccessTokenKeysOptions {
  /** Longest time fetched keys are used before the JWKS is fetched again (AUTH_JWKS_CACHE_MS). */
  cacheMaxAgeMs: number;
  /** Shortest time between two fetches triggered by an unknown kid; also the retry pause while auth is down. */
  cooldownMs: number;
  /** How long one JWKS fetch may take. */
  timeoutMs: number;
}

/**
 * Auth's public keys, fetched from its JWKS and cached by jose per kid. An unknown kid makes jose fetch the
 * set again, at most once per cooldown, so a flood of forged kids cannot turn into a flood on auth.
 *
 * When a fetch fails, the keys fetched last are kept in use (stale-if-error): a token signed by a key we
 * already know is still verified while auth is down or restarting, and only a token whose key we never
 * saw gets a 503. While auth is failing it is asked again once per cooldown, not once per request.
 */
export class JwksAccessTokenKeys extends AccessTokenKeys {
  private readonly logger = new Logger(AccessTokenKeys.name);
  private readonly remote: RemoteKeySet;
  private lastKnown?: KeyLookup;
  private retryRemoteAt = 0;
  private lastWarningAt = Number.NEGATIVE_INFINITY;

  constructor(
    url: URL,
    private readonly options: JwksAccessTokenKeysOptions,
    createRemote: RemoteKeySetFactory = createRemoteJWKSet,
  ) {
    super();
    this.remote = createRemote(url, {
      cacheMaxAge: options.cacheMaxAgeMs,
      cooldownDuration: options.cooldownMs,
      timeoutDuration: options.timeoutMs,
    });
  }

  async resolve(header: JWSHeaderParameters, token: FlattenedJWSInput): Promise<KeyLike> {
    if (this.lastKnown && Date.now() < this.retryRemoteAt) return this.fromLastKnown(header, token);
    try {
      return await this.remote(header, token);
    } catch (error) {
      if (isTokenProblem(error)) throw error;
      return this.afterFetchFailure(error, header, token);
    }
  }

  private async afterFetchFailure(
    error: unknown,
    header: JWSHeaderParameters,
    token: FlattenedJWSInput,
  ): Promise<KeyLike> {
    this.retryRemoteAt = Date.now() + this.options.cooldownMs;
    const known = this.remote.jwks();
    this.warn(error, known?.keys.length ?? 0);
    if (!known) throw new AccessTokenKeysUnavailableException();
    this.lastKnown = createLocalJWKSet(known);
    return this.fromLastKnown(header, token);
  }

  private async fromLastKnown(header: JWSHeaderParameters, token: FlattenedJWSInput): Promise<KeyLike> {
    try {
      return await (this.lastKnown as KeyLookup)(header, token);
    } catch (error) {
      // The kid may be a key auth added since our last fetch; we cannot tell while auth is unreachable.
      if (error instanceof errors.JWKSNoMatchingKey) throw new AccessTokenKeysUnavailableException();
      throw error;
    }
  }

  private warn(error: unknown, cachedKeys: number): void {
    const now = Date.now();
    if (now - this.lastWarningAt < this.options.cooldownMs) return;
    this.lastWarningAt = now;
    const cause = error instanceof Error ? ((error as { code?: string }).code ?? error.name) : 'unknown';
    this.logger.warn(
      `Fetching the access-token JWKS failed (${cause}); ${
        cachedKeys > 0 ? `still using the ${cachedKeys} key(s) fetched earlier` : 'no keys cached'
      }`,
    );
  }
}

/** Errors that say the token names no usable key, as opposed to the JWKS being unreachable or broken. */
function isTokenProblem(error: unknown): boolean {
  return error instanceof errors.JWKSNoMatchingKey || error instanceof errors.JWKSMultipleMatchingKeys;
}
