import { plainToInstance } from 'class-transformer';
import { getMetadataStorage, validateSync } from 'class-validator';

import { UserRegistered } from './user.events';

const valid = { userId: '2b1c6f1e-4d6a-4c47-9a43-2f0e8d7b9a11', email: 'ada@example.com', name: 'Ada' };

const invalidFields = (body: object): string[] =>
  validateSync(plainToInstance(UserRegistered, body), { whitelist: true, forbidNonWhitelisted: true }).map(
    (error) => error.property,
  );

describe(UserRegistered.name, () => {
  it('accepts a user id, an email and a name', () => {
    expect(invalidFields(valid)).toEqual([]);
  });

  it.each([
    ['userId', 'not-a-uuid'],
    ['email', 'ada'],
    ['email', `${'a'.repeat(250)}@example.com`],
    ['name', ''],
    ['name', '   '],
    ['name', 'x'.repeat(101)],
  ])('refuses %s = %p', (field, value) => {
    expect(invalidFields({ ...valid, [field]: value })).toEqual([field]);
  });

  it('declares no field but userId, email and name, so no credential can ride along', () => {
    const declared = new Set(
      getMetadataStorage()
        .getTargetValidationMetadatas(UserRegistered, '', true, false)
        .map((metadata) => metadata.propertyName),
    );
    expect([...declared].sort()).toEqual(['email', 'name', 'userId']);
    expect(invalidFields({ ...valid, password: 'hunter22', passwordHash: '$argon2id$...' })).toEqual([
      'password',
      'passwordHash',
    ]);
  });
});
