/** Longest accepted access token. Auth's tokens are well under 1 KiB; this bounds the work a caller can cause. */
export const MAX_ACCESS_TOKEN_LENGTH = 8 * 1024;

export type BearerCredentials =
  /** No Authorization header, or one with another scheme: the client did not try a bearer token. */
  | { kind: 'none' }
  /** `Bearer` with nothing usable after it. */
  | { kind: 'malformed' }
  | { kind: 'token'; token: string };

const NONE: BearerCredentials = { kind: 'none' };
const MALFORMED: BearerCredentials = { kind: 'malformed' };

/** Reads `Authorization: Bearer <token>` (RFC 6750 section 2.1; the scheme name is case-insensitive). */
export function readBearerToken(header: unknown): BearerCredentials {
  if (header === undefined || header === '') return NONE;
  if (typeof header !== 'string') return MALFORMED;
  if (header.slice(0, 6).toLowerCase() !== 'bearer') return NONE;
  if (header.length === 6) return MALFORMED;
  // "Bearerfoo" is some other scheme's name, not a bearer token.
  if (header[6] !== ' ') return NONE;
  const token = header.slice(7).trimStart();
  if (token.length === 0 || token.length > MAX_ACCESS_TOKEN_LENGTH) return MALFORMED;
  return { kind: 'token', token };
}
