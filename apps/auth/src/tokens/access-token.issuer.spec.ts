import { generateKeyPairSync } from 'node:crypto';

import { AuthEnv } from '@emporium/platform/config';
import { decodeProtectedHeader, jwtVerify } from 'jose';

import { SigningKey, signingKeyFromPem } from '../keys/signing-key';
import { SigningKeys } from '../keys/signing-keys';
import { ACCESS_TOKEN_TTL_S, AccessTokenIssuer } from './access-token.issuer';

describe(AccessTokenIssuer.name, () => {
  let key: SigningKey;
  let sut: AccessTokenIssuer;
  const subject = {
    id: '0b6f7e4c-2d1a-4f3e-9c8b-7a6d5e4f3a2b',
    email: 'ada@example.com',
    roles: ['customer'] as const,
  };

  beforeAll(async () => {
    const pem = generateKeyPairSync('rsa', { modulusLength: 2048 })
      .privateKey.export({ type: 'pkcs8', format: 'pem' })
      .toString();
    key = await signingKeyFromPem(pem, 'test');
    sut = new AccessTokenIssuer(new AuthEnv(), { signing: key } as SigningKeys);
  });

  it('signs an RS256 at+jwt with the key id, and the claims every service checks', async () => {
    const now = new Date('2026-01-01T00:00:00Z');
    const { token, expiresIn } = await sut.issue({ ...subject, roles: [...subject.roles] }, now);
    expect(expiresIn).toBe(ACCESS_TOKEN_TTL_S);
    expect(decodeProtectedHeader(token)).toEqual({ alg: 'RS256', typ: 'at+jwt', kid: key.kid });
    const { payload } = await jwtVerify(token, key.privateKey, {
      algorithms: ['RS256'],
      issuer: 'emporium-auth',
      audience: 'emporium',
      typ: 'at+jwt',
      currentDate: now,
    });
    expect(payload).toEqual({
      iss: 'emporium-auth',
      aud: 'emporium',
      sub: subject.id,
      email: subject.email,
      roles: ['customer'],
      iat: now.getTime() / 1000,
      exp: now.getTime() / 1000 + 900,
      jti: expect.stringMatching(/^[0-9a-f-]{36}$/),
    });
  });

  it('gives every token its own jti', async () => {
    const a = await sut.issue({ ...subject, roles: ['customer'] });
    const b = await sut.issue({ ...subject, roles: ['customer'] });
    const jti = async (token: string) => (await jwtVerify(token, key.privateKey)).payload.jti;
    expect(await jti(a.token)).not.toBe(await jti(b.token));
  });
});
