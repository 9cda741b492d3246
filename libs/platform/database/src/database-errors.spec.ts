import { QueryFailedError } from 'typeorm';

import { isDatabaseUnavailable, isUniqueViolation } from './database-errors';

const queryFailed = (driverError: object): QueryFailedError =>
  new QueryFailedError('SELECT 1', [], Object.assign(new Error('driver'), driverError));

describe(isDatabaseUnavailable.name, () => {
  it.each([
    ['connection refused', { code: 'ECONNREFUSED' }],
    ['admin shutdown', { code: '57P01' }],
    ['cannot connect now', { code: '57P03' }],
    ['too many connections', { code: '53300' }],
    ['connection failure', { code: '08006' }],
    ['statement timeout', { code: '57014' }],
    ['pool timeout', { message: 'timeout exceeded when trying to connect' }],
    ['terminated connection', { message: 'Connection terminated unexpectedly' }],
  ])('is true for %s', (_, error) => {
    expect(isDatabaseUnavailable(error)).toBe(true);
    expect(isDatabaseUnavailable(queryFailed(error))).toBe(true);
  });

  it.each([
    ['unique violation', { code: '23505' }],
    ['syntax error', { code: '42601' }],
    ['invalid text', { code: '22P02' }],
    ['a plain bug', new TypeError('x is undefined')],
  ])('is false for %s', (_, error) => {
    expect(isDatabaseUnavailable(error)).toBe(false);
  });

  it('is false for non-objects', () => {
    expect(isDatabaseUnavailable(undefined)).toBe(false);
    expect(isDatabaseUnavailable('ECONNREFUSED')).toBe(false);
  });
});

describe(isUniqueViolation.name, () => {
  it('matches 23505, optionally by constraint', () => {
    const error = queryFailed({ code: '23505', constraint: 'products_sku_key' });
    expect(isUniqueViolation(error)).toBe(true);
    expect(isUniqueViolation(error, 'products_sku_key')).toBe(true);
    expect(isUniqueViolation(error, 'other_key')).toBe(false);
    expect(isUniqueViolation(queryFailed({ code: '23503' }))).toBe(false);
  });
});
