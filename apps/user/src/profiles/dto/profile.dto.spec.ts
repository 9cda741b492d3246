import { plainToInstance } from 'class-transformer';
import { validateSync } from 'class-validator';

import { ListUsersQuery, UpdateProfileDto } from './profile.dto';
import {
  CreateUserMessage,
  GetUserByEmailMessage,
  GetUserMessage,
  ListUsersMessage,
  UpdateUserMessage,
} from './profile.grpc';

function invalidFields(type: new () => object, body: object): string[] {
  const errors = validateSync(plainToInstance(type, body), { whitelist: true, forbidNonWhitelisted: true });
  return errors.map((error) => error.property);
}

const ID = '0b8f3b4e-1c1d-4d7e-9c55-3f4f2f1e6a01';

describe(UpdateProfileDto.name, () => {
  it('accepts a name alone, and nothing at all', () => {
    expect(invalidFields(UpdateProfileDto, { name: 'Ada' })).toEqual([]);
    expect(invalidFields(UpdateProfileDto, {})).toEqual([]);
  });

  it.each([
    ['A', true],
    ['Ada Lovelace', true],
    ['Zoë Ø. Ñúñez-Łukasz', true],
    ['李小龍', true],
    ['n'.repeat(100), true],
    ['n'.repeat(101), false],
    ['', false],
    ['   ', false],
    ['tab\there', false],
    ['line\nbreak', false],
    ['nul\u0000', false],
    ['escape\u001b[31m', false],
  ])('name %p valid: %p', (name, ok) => {
    expect(invalidFields(UpdateProfileDto, { name })).toEqual(ok ? [] : ['name']);
  });

  it('refuses every field but the name', () => {
    for (const field of ['email', 'roles', 'id', 'userId', 'createdAt', 'updatedAt', 'password']) {
      expect(invalidFields(UpdateProfileDto, { [field]: 'x' })).toEqual([field]);
    }
  });
});

describe(ListUsersQuery.name, () => {
  it.each([
    ['ada@example.com', true],
    ['ADA@Example.COM', true],
    // 251 and 255 characters: the bound is 254, as in auth's user.registered.
    [`${'a'.repeat(64)}@${'b'.repeat(60)}.${'c'.repeat(60)}.${'d'.repeat(60)}.com`, true],
    [`${'a'.repeat(64)}@${'b'.repeat(60)}.${'c'.repeat(60)}.${'d'.repeat(63)}.info`, false],
    ['ada', false],
    ['ada@', false],
    ['@example.com', false],
  ])('email %p valid: %p', (email, ok) => {
    expect(invalidFields(ListUsersQuery, { email }).includes('email')).toBe(!ok);
  });
});

describe('gRPC requests follow the REST rules', () => {
  it('CreateUser needs a UUID, a name and an address', () => {
    expect(invalidFields(CreateUserMessage, { id: ID, name: 'Ada', email: 'ada@example.com' })).toEqual([]);
    expect(invalidFields(CreateUserMessage, { id: '', name: '', email: '' }).sort()).toEqual([
      'email',
      'id',
      'name',
    ]);
  });

  it('GetUser needs a UUID (proto3 sends an unset id as "")', () => {
    expect(invalidFields(GetUserMessage, { id: ID })).toEqual([]);
    expect(invalidFields(GetUserMessage, { id: ID.toUpperCase() })).toEqual([]);
    expect(invalidFields(GetUserMessage, { id: '' })).toEqual(['id']);
    expect(invalidFields(GetUserMessage, { id: "1' OR '1'='1" })).toEqual(['id']);
  });

  it('UpdateUser needs the same name as PATCH /users/me', () => {
    expect(invalidFields(UpdateUserMessage, { id: ID, name: 'Ada' })).toEqual([]);
    expect(invalidFields(UpdateUserMessage, { id: ID, name: 'a\nb' })).toEqual(['name']);
    expect(invalidFields(UpdateUserMessage, { id: ID, name: '' })).toEqual(['name']);
  });

  it.each([
    [{ pageSize: 0, pageToken: '' }, []],
    [{ pageSize: 100, pageToken: 'abc' }, []],
    [{ pageSize: 101, pageToken: '' }, ['pageSize']],
    [{ pageSize: -1, pageToken: '' }, ['pageSize']],
    [{ pageSize: 1.5, pageToken: '' }, ['pageSize']],
    [{ pageSize: 1, pageToken: 't'.repeat(513) }, ['pageToken']],
  ])('ListUsers %p -> invalid %p', (request, fields) => {
    expect(invalidFields(ListUsersMessage, request)).toEqual(fields);
  });

  it('GetUserByEmail needs an address', () => {
    expect(invalidFields(GetUserByEmailMessage, { email: 'ada@example.com' })).toEqual([]);
    expect(invalidFields(GetUserByEmailMessage, { email: '' })).toEqual(['email']);
  });
});
