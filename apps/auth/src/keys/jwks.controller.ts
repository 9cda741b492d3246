import { Public } from '@emporium/platform/auth';
import { Controller, Get, Header } from '@nestjs/common';
import { ApiOkResponse, ApiProperty, ApiTags } from '@nestjs/swagger';
import { JSONWebKeySet } from 'jose';

import { SigningKeys } from './signing-keys';

class JwkView {
  @ApiProperty({ example: 'RSA' }) kty!: string;
  @ApiProperty({ description: 'RFC 7638 thumbprint of the key; the `kid` of the tokens it signed' })
  kid!: string;
  @ApiProperty({ example: 'RS256' }) alg!: string;
  @ApiProperty({ example: 'sig' }) use!: string;
  @ApiProperty({ description: 'RSA modulus, base64url' }) n!: string;
  @ApiProperty({ example: 'AQAB' }) e!: string;
}

class JwksView {
  @ApiProperty({ type: [JwkView] }) keys!: JwkView[];
}

/**
 * How long verifiers and caches may keep the set. Far below the 15 minutes a retired key stays published
 * (and verifiers refetch at once for an unknown kid anyway).
 */
export const JWKS_MAX_AGE_S = 300;

@ApiTags('keys')
@Controller('.well-known')
export class JwksController {
  constructor(private readonly keys: SigningKeys) {}

  /** Outside /api/v1 (createServiceApp excludes the path from the prefix): where every service looks. */
  @Public()
  @Get('jwks.json')
  @Header('Cache-Control', `public, max-age=${JWKS_MAX_AGE_S}`)
  @ApiOkResponse({ type: JwksView, description: 'The public keys access tokens are signed with (RFC 7517)' })
  jwks(): JSONWebKeySet {
    return this.keys.publicKeys;
  }
}
