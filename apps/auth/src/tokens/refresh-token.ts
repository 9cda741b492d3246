import { createHash, randomBytes } from 'node:crypto';

/** 256 bits from the CSPRNG, base64url: 43 characters, unguessable, opaque to the client. */
export function newRefreshToken(): string {
  return randomBytes(32).toString('base64url');
}

/**
 * What is stored instead of the token: its SHA-256. A token has 256 bits of entropy, so a fast hash is
 * enough (no salt, no argon2): a leaked table gives nothing to replay, and lookups stay one index probe.
 */
export function refreshTokenHash(token: string): Buffer {
  return createHash('sha256').update(token, 'utf8').digest();
}
