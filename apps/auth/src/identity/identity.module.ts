import { RateLimitModule } from '@emporium/platform/rate-limit';
import { Module } from '@nestjs/common';

import { AccountsRepository } from '../accounts/accounts.repository';
import { AuthRateLimitEnv } from '../config/auth-service.env';
import { JwksController } from '../keys/jwks.controller';
import { LocalSigningKeyStore } from '../keys/local-signing-key.store';
import { SigningKeys } from '../keys/signing-keys';
import { PasswordHasher } from '../passwords/password-hasher';
import { AccessTokenIssuer } from '../tokens/access-token.issuer';
import { RefreshTokenStore } from '../tokens/refresh-token.store';
import { AdminBootstrap } from './admin-bootstrap';
import { IdentityController } from './identity.controller';
import { IdentityService } from './identity.service';
import { rateLimitOptions } from './rate-limits';

@Module({
  imports: [RateLimitModule.forRootAsync({ inject: [AuthRateLimitEnv], useFactory: rateLimitOptions })],
  controllers: [IdentityController, JwksController],
  providers: [
    AccountsRepository,
    PasswordHasher,
    LocalSigningKeyStore,
    SigningKeys,
    AccessTokenIssuer,
    RefreshTokenStore,
    IdentityService,
    AdminBootstrap,
  ],
})
export class IdentityModule {}
