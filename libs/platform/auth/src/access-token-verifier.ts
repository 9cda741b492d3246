import { AuthEnv } from '@emporium/platform/config';
import { Injectable } from '@nestjs/common';
import { errors, FlattenedJWSInput, JWTHeaderParameters, jwtVerify, JWTVerifyOptions, KeyLike } from 'jose';

import { AccessTokenKeys } from './access-token-keys';
import { AccessTokenRejection, InvalidAccessTokenException } from './auth.exceptions';
import { AuthenticatedUser, toAuthenticatedUser } from './authenticated-user';
import { MAX_ACCESS_TOKEN_LENGTH } from './bearer-token';

// Three non-empty base64url parts: a JWS in compact form with a signature (so never `alg: none`).
const COMPACT_JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;
const MAX_KID_LENGTH = 256;
// Header parameters that would let the token choose its own verification key (RFC 8725 section 3.10).
const KEY_CARRYING_HEADERS = ['jwk', 'jku', 'x5u', 'x5c'] as const;

/**
 * Verifies auth's access tokens locally: RS256 only, against auth's published keys, with the issuer,
 * audience, RFC 9068 `at+jwt` type and lifetime checked, then the claim shapes.
 */
@Injectable()
export class AccessTokenVerifier {
  private readonly options: JWTVerifyOptions;
  private readonly getKey: (header: JWTHeaderParameters, token: FlattenedJWSInput) => Promise<KeyLike>;

  constructor(
    private readonly env: AuthEnv,
    keys: AccessTokenKeys,
  ) {
    this.options = {
      // The allow-list is what defeats `alg: none` and HS256-with-the-public-key: the token's own `alg`
      // is only ever checked against it, never trusted to choose how to verify.
      algorithms: ['RS256'],
      issuer: env.AUTH_ISSUER,
      audience: env.AUTH_AUDIENCE,
      typ: 'at+jwt',
      clockTolerance: env.AUTH_CLOCK_TOLERANCE_S,
      requiredClaims: ['sub', 'exp', 'iat', 'jti'],
    };
    this.getKey = (header, token) => {
      checkKeySelection(header);
      return keys.resolve(header, token);
    };
  }

  /**
   * Resolves to the user the token speaks for. Rejects with InvalidAccessTokenException (401) for any bad
   * token and AccessTokenKeysUnavailableException (503) when its key is unknown and auth's JWKS unreachable.
   */
  async verify(token: string): Promise<AuthenticatedUser> {
    if (token.length > MAX_ACCESS_TOKEN_LENGTH || !COMPACT_JWS.test(token)) {
      throw new InvalidAccessTokenException('malformed');
    }
    let payload;
    try {
      ({ payload } = await jwtVerify(token, this.getKey, this.options));
    } catch (error) {
      const reason = rejectionReason(error);
      if (reason === undefined) throw error;
      throw new InvalidAccessTokenException(reason);
    }
    return toAuthenticatedUser(payload, Math.floor(Date.now() / 1000), this.env.AUTH_CLOCK_TOLERANCE_S);
  }
}

function checkKeySelection(header: JWTHeaderParameters): void {
  const { kid } = header;
  if (typeof kid !== 'string' || kid.length === 0 || kid.length > MAX_KID_LENGTH) {
    throw new InvalidAccessTokenException('untrusted_header');
  }
  for (const name of KEY_CARRYING_HEADERS) {
    if (name in header) throw new InvalidAccessTokenException('untrusted_header');
  }
}

/** Maps jose's errors to a stable reason; undefined for anything that is not the token's fault. */
export function rejectionReason(error: unknown): AccessTokenRejection | undefined {
  if (error instanceof InvalidAccessTokenException) return error.reason;
  if (error instanceof errors.JWTExpired) return 'expired';
  if (error instanceof errors.JWTClaimValidationFailed) {
    if (error.reason === 'missing') return 'missing_claim';
    switch (error.claim) {
      case 'nbf':
        return 'not_yet_valid';
      case 'iss':
        return 'wrong_issuer';
      case 'aud':
        return 'wrong_audience';
      case 'typ':
        return 'wrong_type';
      default:
        return 'invalid_claims';
    }
  }
  if (error instanceof errors.JOSEAlgNotAllowed) return 'alg_not_allowed';
  if (error instanceof errors.JWSSignatureVerificationFailed) return 'bad_signature';
  if (error instanceof errors.JWKSNoMatchingKey || error instanceof errors.JWKSMultipleMatchingKeys) {
    return 'unknown_key';
  }
  if (
    error instanceof errors.JWSInvalid ||
    error instanceof errors.JWTInvalid ||
    error instanceof errors.JOSENotSupported
  ) {
    return 'malformed';
  }
  return undefined;
}
