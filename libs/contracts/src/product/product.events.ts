import { Type } from 'class-transformer';
import { IsBoolean, IsString, IsUUID, Length, ValidateNested } from 'class-validator';

import { Money } from '../money';

/** The catalog facts other services keep copies of (order prices, inventory skus, search). */
class ProductSnapshot {
  @IsUUID()
  productId!: string;

  @IsString()
  @Length(1, 64)
  sku!: string;

  @IsString()
  @Length(1, 200)
  name!: string;

  @ValidateNested()
  @Type(() => Money)
  price!: Money;

  @IsString()
  @Length(1, 50)
  category!: string;

  @IsBoolean()
  active!: boolean;
}

export class ProductCreated extends ProductSnapshot {
  static readonly type = 'product.created';
  static readonly source = 'product';
}

export class ProductUpdated extends ProductSnapshot {
  static readonly type = 'product.updated';
  static readonly source = 'product';
}

export class ProductDeactivated {
  static readonly type = 'product.deactivated';
  static readonly source = 'product';

  @IsUUID()
  productId!: string;

  @IsString()
  @Length(1, 64)
  sku!: string;
}
