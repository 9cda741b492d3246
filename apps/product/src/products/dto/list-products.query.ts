import { PageQueryDto } from '@emporium/platform/http';
import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, IsString, Length, Matches } from 'class-validator';

import { CATEGORY_PATTERN } from './product.dto';

export class ListProductsQuery extends PageQueryDto {
  @ApiPropertyOptional({ description: 'Full-text search over name and description', maxLength: 200 })
  @IsOptional()
  @IsString()
  @Length(1, 200)
  q?: string;

  @ApiPropertyOptional({ description: 'Category slug', example: 'apparel' })
  @IsOptional()
  @IsString()
  @Length(1, 50)
  @Matches(CATEGORY_PATTERN, { message: 'must be a category slug' })
  category?: string;
}
