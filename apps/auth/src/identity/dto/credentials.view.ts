import { ApiProperty } from '@nestjs/swagger';

export class RegisteredView {
  @ApiProperty({ format: 'uuid' })
  userId!: string;
}

export class TokenPairView {
  @ApiProperty({ description: 'RS256 JWT (`typ: at+jwt`) to send as `Authorization: Bearer …`' })
  accessToken!: string;

  @ApiProperty({ description: 'Opaque, single use: trade it at POST /auth/refresh for a new pair' })
  refreshToken!: string;

  @ApiProperty({ enum: ['Bearer'] })
  tokenType!: 'Bearer';

  @ApiProperty({ description: 'Seconds until the access token expires', example: 900 })
  expiresIn!: number;
}
