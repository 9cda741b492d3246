import { Public } from '@emporium/platform/auth';
import { RateLimit } from '@emporium/platform/rate-limit';
import { Body, Controller, Header, HttpCode, Post } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiConflictResponse,
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiServiceUnavailableResponse,
  ApiTags,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';

import { LoginDto, RefreshTokenDto, RegisterDto } from './dto/credentials.dto';
import { RegisteredView, TokenPairView } from './dto/credentials.view';
import { IdentityService } from './identity.service';
import { RATE_LIMITS } from './rate-limits';

/** Every route is public: these are how a client gets a token in the first place. */
@Public()
@ApiTags('auth')
@ApiBadRequestResponse({ description: 'VALIDATION_FAILED: invalid or unknown fields' })
@Controller('auth')
export class IdentityController {
  constructor(private readonly identity: IdentityService) {}

  @Post('register')
  @RateLimit(RATE_LIMITS.registerIp)
  @ApiCreatedResponse({ type: RegisteredView })
  @ApiConflictResponse({ description: 'EMAIL_TAKEN' })
  @ApiServiceUnavailableResponse({ description: 'AUTH_BUSY: too many password hashes at once; retry' })
  register(@Body() input: RegisterDto): Promise<RegisteredView> {
    return this.identity.register(input);
  }

  @Post('login')
  @HttpCode(200)
  @Header('Cache-Control', 'no-store')
  @RateLimit(RATE_LIMITS.loginIp, RATE_LIMITS.loginAccount)
  @ApiOkResponse({ type: TokenPairView })
  @ApiUnauthorizedResponse({ description: 'Invalid e-mail or password (the same answer for both)' })
  @ApiServiceUnavailableResponse({ description: 'AUTH_BUSY: too many password hashes at once; retry' })
  login(@Body() input: LoginDto): Promise<TokenPairView> {
    return this.identity.login(input);
  }

  @Post('refresh')
  @HttpCode(200)
  @Header('Cache-Control', 'no-store')
  @RateLimit(RATE_LIMITS.refreshIp)
  @ApiOkResponse({ type: TokenPairView, description: 'A new pair; the presented refresh token is spent' })
  @ApiUnauthorizedResponse({
    description: 'Invalid, expired or revoked; presenting a spent token also revokes its whole family',
  })
  refresh(@Body() input: RefreshTokenDto): Promise<TokenPairView> {
    return this.identity.refresh(input.refreshToken);
  }

  @Post('logout')
  @HttpCode(204)
  @RateLimit(RATE_LIMITS.refreshIp)
  @ApiNoContentResponse({ description: 'The session is over (answered whatever the token)' })
  async logout(@Body() input: RefreshTokenDto): Promise<void> {
    await this.identity.logout(input.refreshToken);
  }
}
