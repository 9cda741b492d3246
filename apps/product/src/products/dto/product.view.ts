import { ApiProperty } from '@nestjs/swagger';

import { MoneyDto } from './money.dto';

/** A product as every client sees it. */
export class ProductView {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty() sku!: string;
  @ApiProperty() name!: string;
  @ApiProperty() description!: string;
  @ApiProperty({ type: MoneyDto }) price!: MoneyDto;
  @ApiProperty() category!: string;
  @ApiProperty({ description: 'False once deactivated; inactive products are not listed or sold' })
  active!: boolean;
  @ApiProperty({ format: 'date-time' }) createdAt!: string;
  @ApiProperty({ format: 'date-time' }) updatedAt!: string;
}

export class ProductPage {
  @ApiProperty({ type: [ProductView] }) items!: ProductView[];
  @ApiProperty({ type: String, nullable: true }) nextPageToken!: string | null;
}

export class CategoryView {
  @ApiProperty({ example: 'apparel' }) slug!: string;
  @ApiProperty({ description: 'Active products in the category' }) productCount!: number;
}

export class CategoryPage {
  @ApiProperty({ type: [CategoryView] }) items!: CategoryView[];
  @ApiProperty({ type: String, nullable: true }) nextPageToken!: string | null;
}

/** The columns every product query selects, in the shape `toProductView` reads. */
export const PRODUCT_COLUMNS = `id, sku, name, description, price_amount, price_currency, category, active,
  created_at, updated_at`;

export interface ProductRow {
  id: string;
  sku: string;
  name: string;
  description: string;
  price_amount: number;
  price_currency: string;
  category: string;
  active: boolean;
  created_at: Date;
  updated_at: Date;
}

export function toProductView(row: ProductRow): ProductView {
  return {
    id: row.id,
    sku: row.sku,
    name: row.name,
    description: row.description,
    price: { amount: row.price_amount, currency: row.price_currency },
    category: row.category,
    active: row.active,
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
  };
}
