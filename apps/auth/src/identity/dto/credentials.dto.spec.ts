import { plainToInstance } from 'class-transformer';
import { validateSync } from 'class-validator';

import { LoginDto, RefreshTokenDto, RegisterDto } from './credentials.dto';

function check<T extends object>(type: new () => T, body: object): { fields: string[]; value: T } {
  const value = plainToInstance(type, body);
  const errors = validateSync(value, {
    whitelist: true,
    forbidNonWhitelisted: true,
    forbidUnknownValues: true,
  });
  return { fields: errors.map((error) => error.property), value };
}

const valid = { email: 'ada@example.com', password: 'correct horse', name: 'Ada' };

describe(RegisterDto.name, () => {
  it('accepts a valid registration and normalises the e-mail', () => {
    const { fields, value } = check(RegisterDto, { ...valid, email: '  Ada@Example.COM ' });
    expect(fields).toEqual([]);
    expect(value.email).toBe('ada@example.com');
  });

  it.each([
    ['email', 'not-an-address'],
    ['email', 42],
    ['email', `${'a'.repeat(245)}@example.com`],
    ['password', 'short77'],
    ['password', 'p'.repeat(129)],
    ['password', 12345678],
    ['name', ''],
    ['name', '   '],
    ['name', 'n'.repeat(101)],
  ])('refuses %s = %p', (field, value) => {
    expect(check(RegisterDto, { ...valid, [field]: value }).fields).toEqual([field]);
  });

  it('accepts passwords of exactly 8 and 128 characters', () => {
    expect(check(RegisterDto, { ...valid, password: 'p'.repeat(8) }).fields).toEqual([]);
    expect(check(RegisterDto, { ...valid, password: 'p'.repeat(128) }).fields).toEqual([]);
  });

  it('refuses fields a client must not set (mass assignment)', () => {
    expect(check(RegisterDto, { ...valid, roles: ['admin'] }).fields).toEqual(['roles']);
    expect(check(RegisterDto, { ...valid, id: 'x', passwordHash: 'y' }).fields.sort()).toEqual([
      'id',
      'passwordHash',
    ]);
  });
});

describe(LoginDto.name, () => {
  it('accepts any non-empty password up to 128 characters', () => {
    expect(check(LoginDto, { email: 'ADA@example.com', password: 'x' })).toMatchObject({
      fields: [],
      value: { email: 'ada@example.com' },
    });
    expect(check(LoginDto, { email: 'ada@example.com', password: '' }).fields).toEqual(['password']);
    expect(check(LoginDto, { email: 'ada@example.com', password: 'p'.repeat(129) }).fields).toEqual([
      'password',
    ]);
  });
});

describe(RefreshTokenDto.name, () => {
  it('needs a string token of sane length', () => {
    expect(check(RefreshTokenDto, { refreshToken: 'abc' }).fields).toEqual([]);
    expect(check(RefreshTokenDto, { refreshToken: '' }).fields).toEqual(['refreshToken']);
    expect(check(RefreshTokenDto, { refreshToken: 7 }).fields).toEqual(['refreshToken']);
    expect(check(RefreshTokenDto, { refreshToken: 'x'.repeat(513) }).fields).toEqual(['refreshToken']);
    expect(check(RefreshTokenDto, {}).fields).toEqual(['refreshToken']);
  });
});
