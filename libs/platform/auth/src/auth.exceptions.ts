import { ServiceUnavailableException, UnauthorizedException } from '@nestjs/common';

/**
 * Why a presented token was refused. Stable codes for logs and metrics; they never carry token text or
 * jose's messages. Clients see only "Invalid access token" (or "Access token expired", so they know to
 * refresh).
 */
export type AccessTokenRejection =
  | 'malformed'
  | 'alg_not_allowed'
  | 'untrusted_header'
  | 'unknown_key'
  | 'bad_signature'
  | 'expired'
  | 'not_yet_valid'
  | 'wrong_issuer'
  | 'wrong_audience'
  | 'wrong_type'
  | 'missing_claim'
  | 'invalid_claims';

export class InvalidAccessTokenException extends UnauthorizedException {
  constructor(readonly reason: AccessTokenRejection) {
    super(reason === 'expired' ? 'Access token expired' : 'Invalid access token');
  }
}

export class MissingAccessTokenException extends UnauthorizedException {
  constructor() {
    super('Missing access token');
  }
}

/** The token's key is not cached and auth's JWKS cannot be fetched: the token may be fine, so not a 401. */
export class AccessTokenKeysUnavailableException extends ServiceUnavailableException {
  constructor() {
    super('Access tokens cannot be verified right now');
  }
}
