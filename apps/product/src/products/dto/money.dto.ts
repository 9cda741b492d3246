import { ApiProperty } from '@nestjs/swagger';
import { IsInt, IsISO4217CurrencyCode, Matches, Max, Min } from 'class-validator';

/** The largest price accepted, in minor units (999,999.99 in a two-decimal currency). */
export const MAX_PRICE_AMOUNT = 99_999_999;

export class MoneyDto {
  @ApiProperty({ description: 'Integer amount in minor units (cents)', example: 1999, minimum: 0 })
  @IsInt()
  @Min(0)
  @Max(MAX_PRICE_AMOUNT)
  amount!: number;

  @ApiProperty({ description: 'ISO 4217 code', example: 'USD' })
  @IsISO4217CurrencyCode()
  @Matches(/^[A-Z]{3}$/, { message: 'must be an upper-case ISO 4217 code' })
  currency!: string;
}
