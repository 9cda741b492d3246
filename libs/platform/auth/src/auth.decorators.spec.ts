import { ExecutionContext, NotFoundException } from '@nestjs/common';

import { currentUserFactory, ensureOwnerOrAdmin, hasRole } from './auth.decorators';
import { MissingAccessTokenException } from './auth.exceptions';
import { AuthenticatedUser, Role } from './authenticated-user';

const OWNER_ID = '2b1f4c52-4a47-4d3f-9a53-3c1b8a6f0e11';
const OTHER_ID = '7d0f1a63-2f7e-4a41-b7e4-8c3e0c5b9d22';

function user(id: string, ...roles: Role[]): AuthenticatedUser {
  return { id, email: 'ada@example.test', roles, tokenId: 'token-1', expiresAt: new Date() };
}

function contextWith(request: object): ExecutionContext {
  return { switchToHttp: () => ({ getRequest: () => request }) } as unknown as ExecutionContext;
}

describe('CurrentUser', () => {
  const sut = currentUserFactory;

  it('gives the verified user', () => {
    const caller = user(OWNER_ID, 'customer');

    expect(sut(undefined, contextWith({ user: caller }))).toBe(caller);
  });

  it('gives one field when named', () => {
    expect(sut('id', contextWith({ user: user(OWNER_ID, 'customer') }))).toBe(OWNER_ID);
  });

  it('refuses (401) rather than hand a handler no user, as on a @Public() route', () => {
    expect(() => sut(undefined, contextWith({}))).toThrow(MissingAccessTokenException);
  });
});

describe(ensureOwnerOrAdmin.name, () => {
  const sut = ensureOwnerOrAdmin;

  it('lets owners reach their own resources', () => {
    expect(() => sut(user(OWNER_ID, 'customer'), OWNER_ID)).not.toThrow();
  });

  it('compares ids regardless of case', () => {
    expect(() => sut(user(OWNER_ID, 'customer'), OWNER_ID.toUpperCase())).not.toThrow();
  });

  it('lets admins reach anyone’s resources', () => {
    expect(() => sut(user(OTHER_ID, 'admin'), OWNER_ID)).not.toThrow();
  });

  it('answers another customer with 404, as if the resource did not exist', () => {
    expect(() => sut(user(OTHER_ID, 'customer'), OWNER_ID)).toThrow(NotFoundException);
  });

  it('throws the service’s own not-found error when given one', () => {
    const notFound = new Error('ORDER_NOT_FOUND');

    expect(() => sut(user(OTHER_ID, 'customer'), OWNER_ID, () => notFound)).toThrow(notFound);
  });
});

describe(hasRole.name, () => {
  it('tells whether the user holds the role', () => {
    expect(hasRole(user(OWNER_ID, 'customer'), 'admin')).toBe(false);
    expect(hasRole(user(OWNER_ID, 'customer', 'admin'), 'admin')).toBe(true);
  });
});
