import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsISO31661Alpha2, IsOptional, IsString, Matches } from 'class-validator';

import { IsTextLine } from '../../profiles/dto/profile.rules';

/** Letters and digits, with single inner spaces or dashes: every national format fits (SW1A 1AA, 75008, 1010-AB). */
export const POSTAL_CODE_PATTERN = /^[A-Za-z0-9]+(?:[ -][A-Za-z0-9]+)*$/;

/** `POST /users/me/addresses`. Unknown fields (`id`, `userId`, …) are refused with a 400. */
export class CreateAddressDto {
  @ApiProperty({ example: '10 Downing Street', maxLength: 200 })
  @IsTextLine(200)
  line1!: string;

  @ApiPropertyOptional({ example: 'Flat 2', maxLength: 200 })
  @IsOptional()
  @IsTextLine(200)
  line2?: string;

  @ApiProperty({ example: 'London', maxLength: 100 })
  @IsTextLine(100)
  city!: string;

  @ApiProperty({ example: 'SW1A 2AA', maxLength: 20 })
  @IsTextLine(20)
  @Matches(POSTAL_CODE_PATTERN, {
    message: 'must be letters and digits, separated by single spaces or dashes',
  })
  postalCode!: string;

  @ApiProperty({ example: 'GB', description: 'ISO 3166-1 alpha-2 code, upper case' })
  @IsString()
  @Matches(/^[A-Z]{2}$/, { message: 'must be an upper-case ISO 3166-1 alpha-2 code' })
  @IsISO31661Alpha2({ message: 'must be an ISO 3166-1 alpha-2 country code' })
  country!: string;
}
