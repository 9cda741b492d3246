import { ValidationError } from '@nestjs/common';

import { flattenValidationErrors } from './validation';

describe(flattenValidationErrors.name, () => {
  it('flattens nested errors into dotted field paths without repeating the property name', () => {
    const price: ValidationError = {
      property: 'price',
      children: [
        { property: 'amount', constraints: { isInt: 'amount must be an integer number' }, children: [] },
      ],
    };
    const name: ValidationError = { property: 'name', constraints: { isString: 'name must be a string' } };
    expect(flattenValidationErrors([name, price])).toEqual([
      { field: 'name', message: 'must be a string' },
      { field: 'price.amount', message: 'must be an integer number' },
    ]);
  });

  it('reports unknown properties by name', () => {
    const unknown: ValidationError = {
      property: 'roles',
      constraints: { whitelistValidation: 'property roles should not exist' },
    };
    expect(flattenValidationErrors([unknown])).toEqual([
      { field: 'roles', message: 'property roles should not exist' },
    ]);
  });
});
