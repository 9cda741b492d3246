import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  IsBoolean,
  IsDefined,
  IsNotEmptyObject,
  IsOptional,
  IsString,
  Length,
  Matches,
  MaxLength,
  ValidateNested,
} from 'class-validator';

import { MoneyDto } from './money.dto';

export const SKU_PATTERN = /^[A-Z0-9](?:[A-Z0-9-]{0,62}[A-Z0-9])?$/;
export const CATEGORY_PATTERN = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;

export class CreateProductDto {
  @ApiProperty({ example: 'TSHIRT-RED-M', description: 'Unique stock keeping unit: A-Z, 0-9, dashes' })
  @IsString()
  @Matches(SKU_PATTERN, { message: 'must be 1-64 characters of A-Z, 0-9 and inner dashes' })
  sku!: string;

  @ApiProperty({ example: 'Red T-shirt', maxLength: 200 })
  @IsString()
  @Length(1, 200)
  @Matches(/\S/, { message: 'must not be blank' })
  name!: string;

  @ApiProperty({ example: 'Organic cotton, regular fit.', maxLength: 5000 })
  @IsString()
  @MaxLength(5000)
  description!: string;

  @ApiProperty({ type: MoneyDto })
  @IsDefined()
  @IsNotEmptyObject()
  @ValidateNested()
  @Type(() => MoneyDto)
  price!: MoneyDto;

  @ApiProperty({ example: 'apparel', description: 'Category slug: lowercase words joined by dashes' })
  @IsString()
  @Length(1, 50)
  @Matches(CATEGORY_PATTERN, { message: 'must be lowercase letters and digits joined by single dashes' })
  category!: string;
}

/** Everything but the sku may change; `active: true` brings a deactivated product back. */
export class UpdateProductDto {
  @ApiPropertyOptional({ maxLength: 200 })
  @IsOptional()
  @IsString()
  @Length(1, 200)
  @Matches(/\S/, { message: 'must not be blank' })
  name?: string;

  @ApiPropertyOptional({ maxLength: 5000 })
  @IsOptional()
  @IsString()
  @MaxLength(5000)
  description?: string;

  @ApiPropertyOptional({ type: MoneyDto })
  @IsOptional()
  @IsNotEmptyObject()
  @ValidateNested()
  @Type(() => MoneyDto)
  price?: MoneyDto;

  @ApiPropertyOptional({ example: 'apparel' })
  @IsOptional()
  @IsString()
  @Length(1, 50)
  @Matches(CATEGORY_PATTERN, { message: 'must be lowercase letters and digits joined by single dashes' })
  category?: string;

  @ApiPropertyOptional({ description: 'Set true to reactivate a deactivated product' })
  @IsOptional()
  @IsBoolean()
  active?: boolean;
}
