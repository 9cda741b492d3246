import { JWTPayload } from 'jose';

import { InvalidAccessTokenException } from './auth.exceptions';
import { toAuthenticatedUser } from './authenticated-user';

const NOW = 1_800_000_000;
const TOLERANCE_S = 5;

function claims(overrides: Record<string, unknown> = {}): JWTPayload {
  return {
    iss: 'emporium-auth',
    aud: 'emporium',
    sub: '2b1f4c52-4a47-4d3f-9a53-3c1b8a6f0e11',
    email: 'ada@example.test',
    roles: ['customer'],
    iat: NOW - 10,
    exp: NOW + 890,
    jti: 'b0c6a3de-1d36-4b9e-8a25-1e2f0f6f4a7c',
    ...overrides,
  };
}

describe(toAuthenticatedUser.name, () => {
  it('maps verified claims to the user a route sees', () => {
    const sut = toAuthenticatedUser(claims(), NOW, TOLERANCE_S);

    expect(sut).toEqual({
      id: '2b1f4c52-4a47-4d3f-9a53-3c1b8a6f0e11',
      email: 'ada@example.test',
      roles: ['customer'],
      tokenId: 'b0c6a3de-1d36-4b9e-8a25-1e2f0f6f4a7c',
      expiresAt: new Date((NOW + 890) * 1000),
    });
  });

  it('returns a frozen user so no handler can grant itself a role', () => {
    const sut = toAuthenticatedUser(claims({ roles: ['customer', 'admin'] }), NOW, TOLERANCE_S);

    expect(Object.isFrozen(sut)).toBe(true);
    expect(Object.isFrozen(sut.roles)).toBe(true);
  });

  it('lower-cases the user id so it compares equal to ids from the database', () => {
    const sut = toAuthenticatedUser(
      claims({ sub: '2B1F4C52-4A47-4D3F-9A53-3C1B8A6F0E11' }),
      NOW,
      TOLERANCE_S,
    );

    expect(sut.id).toBe('2b1f4c52-4a47-4d3f-9a53-3c1b8a6f0e11');
  });

  it('drops repeated roles', () => {
    const sut = toAuthenticatedUser(claims({ roles: ['admin', 'admin'] }), NOW, TOLERANCE_S);

    expect(sut.roles).toEqual(['admin']);
  });

  it('accepts a token issued within the clock tolerance ahead of us', () => {
    expect(() => toAuthenticatedUser(claims({ iat: NOW + TOLERANCE_S }), NOW, TOLERANCE_S)).not.toThrow();
  });

  it.each<[string, Record<string, unknown>]>([
    ['sub that is not a UUID', { sub: 'admin' }],
    ['numeric sub', { sub: 42 }],
    ['missing email', { email: undefined }],
    ['email without @', { email: 'ada.example.test' }],
    ['over-long email', { email: `${'a'.repeat(320)}@example.test` }],
    ['roles as a string', { roles: 'admin' }],
    ['missing roles', { roles: undefined }],
    ['unknown role', { roles: ['customer', 'superuser'] }],
    ['non-string role', { roles: [1] }],
    ['role differing only in case', { roles: ['Admin'] }],
    ['empty jti', { jti: '' }],
    ['numeric jti', { jti: 7 }],
    ['iat in the future', { iat: NOW + 60 }],
    ['exp not after iat', { iat: NOW - 10, exp: NOW - 10 }],
  ])('rejects a %s as invalid claims', (_case, overrides) => {
    const attempt = () => toAuthenticatedUser(claims(overrides), NOW, TOLERANCE_S);

    expect(attempt).toThrow(InvalidAccessTokenException);
    expect(attempt).toThrow(expect.objectContaining({ reason: 'invalid_claims' }));
  });
});
