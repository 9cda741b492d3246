import { randomUUID } from 'node:crypto';

import { Role } from '@emporium/platform/auth';
import { AuthEnv } from '@emporium/platform/config';
import { Injectable } from '@nestjs/common';
import { SignJWT } from 'jose';

import { SigningKeys } from '../keys/signing-keys';

/** api.md / issue #5: access tokens live 15 minutes; a client refreshes after that. */
export const ACCESS_TOKEN_TTL_S = 900;

export interface TokenSubject {
  id: string;
  email: string;
  roles: readonly Role[];
}

export interface IssuedAccessToken {
  token: string;
  expiresIn: number;
}

/**
 * Signs RFC 9068 access tokens (`typ: at+jwt`) with RS256 and the current key's `kid`, carrying what
 * libs/platform/auth checks: `iss`, `aud`, `sub`, `email`, `roles`, `iat`, `exp`, `jti`.
 */
@Injectable()
export class AccessTokenIssuer {
  constructor(
    private readonly env: AuthEnv,
    private readonly keys: SigningKeys,
  ) {}

  async issue(subject: TokenSubject, now = new Date()): Promise<IssuedAccessToken> {
    const key = this.keys.signing;
    const issuedAt = Math.floor(now.getTime() / 1000);
    const token = await new SignJWT({ email: subject.email, roles: [...subject.roles] })
      .setProtectedHeader({ alg: 'RS256', typ: 'at+jwt', kid: key.kid })
      .setIssuer(this.env.AUTH_ISSUER)
      .setAudience(this.env.AUTH_AUDIENCE)
      .setSubject(subject.id)
      .setIssuedAt(issuedAt)
      .setExpirationTime(issuedAt + ACCESS_TOKEN_TTL_S)
      .setJti(randomUUID())
      .sign(key.privateKey);
    return { token, expiresIn: ACCESS_TOKEN_TTL_S };
  }
}
