import { JWTPayload } from 'jose';

import { InvalidAccessTokenException } from './auth.exceptions';

export const ROLES = ['customer', 'admin'] as const;
export type Role = (typeof ROLES)[number];

/** Who made the request, as proven by a verified access token. Set on the request by AccessTokenGuard. */
export interface AuthenticatedUser {
  /** The user id (`sub`), a lower-case UUID. */
  readonly id: string;
  readonly email: string;
  readonly roles: readonly Role[];
  /** The token's `jti`, for logs and audit trails. */
  readonly tokenId: string;
  readonly expiresAt: Date;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
// Loose on purpose: auth validated the address at registration; this only rules out non-addresses.
const EMAIL = /^[^\s@]+@[^\s@]+$/;
const MAX_EMAIL_LENGTH = 320;
const MAX_JTI_LENGTH = 255;
const KNOWN_ROLES: ReadonlySet<string> = new Set(ROLES);

export function isRole(value: unknown): value is Role {
  return typeof value === 'string' && KNOWN_ROLES.has(value);
}

/**
 * Turns the claims of a token whose signature, issuer, audience and lifetime jose has already checked into
 * an AuthenticatedUser, checking the shapes jose does not know about. A signed token is still input: a
 * claim of the wrong type must not reach a service as, say, `roles: "admin"`.
 */
export function toAuthenticatedUser(
  payload: JWTPayload,
  nowSeconds: number,
  clockToleranceS: number,
): AuthenticatedUser {
  const { sub, email, roles, jti, exp, iat } = payload;
  if (typeof sub !== 'string' || !UUID.test(sub)) throw new InvalidAccessTokenException('invalid_claims');
  if (typeof email !== 'string' || email.length > MAX_EMAIL_LENGTH || !EMAIL.test(email)) {
    throw new InvalidAccessTokenException('invalid_claims');
  }
  if (!Array.isArray(roles) || roles.length > ROLES.length * 2 || !roles.every(isRole)) {
    throw new InvalidAccessTokenException('invalid_claims');
  }
  if (typeof jti !== 'string' || jti.length === 0 || jti.length > MAX_JTI_LENGTH) {
    throw new InvalidAccessTokenException('invalid_claims');
  }
  // jose checks that exp is a number in the future and iat a number; a token "issued" in the future or
  // expiring before it was issued is forged or from a broken clock either way.
  if (
    typeof exp !== 'number' ||
    typeof iat !== 'number' ||
    iat > nowSeconds + clockToleranceS ||
    exp <= iat
  ) {
    throw new InvalidAccessTokenException('invalid_claims');
  }
  return Object.freeze({
    id: sub.toLowerCase(),
    email,
    roles: Object.freeze([...new Set(roles)]),
    tokenId: jti,
    expiresAt: new Date(exp * 1000),
  });
}
