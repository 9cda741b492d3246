import { plainToInstance } from 'class-transformer';
import { validateSync } from 'class-validator';

import { CreateProductDto, UpdateProductDto } from './product.dto';

const valid = {
  sku: 'MUG-350',
  name: 'Mug',
  description: '',
  price: { amount: 0, currency: 'EUR' },
  category: 'kitchen-ware',
};

function invalidFields(type: new () => object, body: object): string[] {
  const errors = validateSync(plainToInstance(type, body), { whitelist: true, forbidNonWhitelisted: true });
  return errors.flatMap((error) => [
    error.property,
    ...(error.children ?? []).map((c) => `${error.property}.${c.property}`),
  ]);
}

describe(CreateProductDto.name, () => {
  it('accepts a minimal valid product (empty description, zero price)', () => {
    expect(invalidFields(CreateProductDto, valid)).toEqual([]);
  });

  it.each([
    ['A', true],
    ['A-1', true],
    ['-A', false],
    ['A-', false],
    ['a1', false],
    ['A_1', false],
    ['A'.repeat(64), true],
    ['A'.repeat(65), false],
  ])('sku %p valid: %p', (sku, ok) => {
    expect(invalidFields(CreateProductDto, { ...valid, sku }).includes('sku')).toBe(!ok);
  });

  it.each([
    ['books', true],
    ['kitchen-ware', true],
    ['Books', false],
    ['kitchen--ware', false],
    ['-books', false],
    ['books ', false],
  ])('category %p valid: %p', (category, ok) => {
    expect(invalidFields(CreateProductDto, { ...valid, category }).includes('category')).toBe(!ok);
  });

  it.each([
    [{ amount: 99_999_999, currency: 'JPY' }, true],
    [{ amount: 100_000_000, currency: 'USD' }, false],
    [{ amount: 1, currency: 'usd' }, false],
    [{ amount: 1, currency: 'US' }, false],
    [{ amount: Number.NaN, currency: 'USD' }, false],
  ])('price %p valid: %p', (price, ok) => {
    const fields = invalidFields(CreateProductDto, { ...valid, price });
    expect(fields.some((field) => field.startsWith('price'))).toBe(!ok);
  });
});

describe(UpdateProductDto.name, () => {
  it('accepts an empty change and each field alone', () => {
    expect(invalidFields(UpdateProductDto, {})).toEqual([]);
    expect(invalidFields(UpdateProductDto, { active: true })).toEqual([]);
    expect(invalidFields(UpdateProductDto, { price: { amount: 5, currency: 'GBP' } })).toEqual([]);
  });

  it('refuses the sku and a non-boolean active', () => {
    expect(invalidFields(UpdateProductDto, { sku: 'X' })).toContain('sku');
    expect(invalidFields(UpdateProductDto, { active: 'yes' })).toContain('active');
  });
});
