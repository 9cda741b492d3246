import { IsInt, IsISO4217CurrencyCode, Matches, Min } from 'class-validator';

/** Money as integer minor units plus an ISO 4217 code, as in every API and event. */
export class Money {
  @IsInt()
  @Min(0)
  amount!: number;

  @IsISO4217CurrencyCode()
  @Matches(/^[A-Z]{3}$/, { message: 'must be an upper-case ISO 4217 code' })
  currency!: string;
}
