import { plainToInstance } from 'class-transformer';
import { validateSync } from 'class-validator';

import { CreateAddressDto } from './address.dto';

const valid = { line1: '10 Downing Street', city: 'London', postalCode: 'SW1A 2AA', country: 'GB' };

function invalidFields(body: object): string[] {
  const errors = validateSync(plainToInstance(CreateAddressDto, body), {
    whitelist: true,
    forbidNonWhitelisted: true,
  });
  return errors.map((error) => error.property);
}

describe(CreateAddressDto.name, () => {
  it('accepts a minimal address, and one with line2', () => {
    expect(invalidFields(valid)).toEqual([]);
    expect(invalidFields({ ...valid, line2: 'Flat 2' })).toEqual([]);
  });

  it.each([
    ['SW1A 2AA', true],
    ['75008', true],
    ['1010-AB', true],
    ['K1A 0B1', true],
    ['1', true],
    ['A'.repeat(20), true],
    ['A'.repeat(21), false],
    [' 75008', false],
    ['75008 ', false],
    ['75  008', false],
    ['75_008', false],
    ['', false],
  ])('postalCode %p valid: %p', (postalCode, ok) => {
    expect(invalidFields({ ...valid, postalCode })).toEqual(ok ? [] : ['postalCode']);
  });

  it.each([
    ['GB', true],
    ['US', true],
    ['DE', true],
    ['gb', false],
    ['UK', false],
    ['XX', false],
    ['GBR', false],
    ['', false],
  ])('country %p valid: %p', (country, ok) => {
    expect(invalidFields({ ...valid, country })).toEqual(ok ? [] : ['country']);
  });

  it.each([
    ['line1', 200],
    ['line2', 200],
    ['city', 100],
  ])('bounds %s at %i characters, not blank, without control characters', (field, max) => {
    expect(invalidFields({ ...valid, [field]: 'x'.repeat(max) })).toEqual([]);
    for (const bad of ['x'.repeat(max + 1), '', '  ', 'a\nb', 'a\u0007b', 7]) {
      expect(invalidFields({ ...valid, [field]: bad })).toEqual([field]);
    }
  });

  it('refuses fields the client does not own', () => {
    for (const field of ['id', 'userId', 'ownerId', 'createdAt']) {
      expect(invalidFields({ ...valid, [field]: 'x' })).toEqual([field]);
    }
  });
});
