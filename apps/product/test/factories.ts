import { randomBytes } from 'node:crypto';

import { CreateProductDto } from '../src/products/dto/product.dto';

/** A valid create-product body with a unique sku; override any field. */
export function productInput(overrides: Partial<CreateProductDto> = {}): CreateProductDto {
  const unique = randomBytes(4).toString('hex').toUpperCase();
  return {
    sku: `SKU-${unique}`,
    name: `Product ${unique}`,
    description: 'A thing worth buying.',
    price: { amount: 1999, currency: 'USD' },
    category: 'general',
    ...overrides,
  };
}
