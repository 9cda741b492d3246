import { generateKeyPairSync } from 'node:crypto';

import { calculateJwkThumbprint } from 'jose';

import { publicKeyFromPem, signingKeyFromPem } from './signing-key';

const rsa2048 = generateKeyPairSync('rsa', { modulusLength: 2048 });
const pem = (key: { export(options: object): string | Buffer }, type: string) =>
  key.export({ type, format: 'pem' }).toString();
const PRIVATE_PEM = pem(rsa2048.privateKey, 'pkcs8');

describe(signingKeyFromPem.name, () => {
  it('derives the kid (RFC 7638 thumbprint) and a JWK with the public half only', async () => {
    const key = await signingKeyFromPem(PRIVATE_PEM, 'AUTH_SIGNING_KEY');
    const { n, e } = key.jwk;
    expect(key.kid).toBe(await calculateJwkThumbprint({ kty: 'RSA', n, e }, 'sha256'));
    expect(key.jwk).toEqual({
      kty: 'RSA',
      n: expect.any(String),
      e: 'AQAB',
      kid: key.kid,
      alg: 'RS256',
      use: 'sig',
    });
    expect(key.privateKey.type).toBe('private');
  });

  it('reads PKCS#1 PEMs too, with the same kid', async () => {
    const pkcs1 = pem(rsa2048.privateKey, 'pkcs1');
    expect((await signingKeyFromPem(pkcs1, 'x')).kid).toBe((await signingKeyFromPem(PRIVATE_PEM, 'x')).kid);
  });

  it('refuses what RS256 cannot use, naming the source and never quoting the key', async () => {
    const small = pem(generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey, 'pkcs8');
    const ec = pem(generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey, 'pkcs8');
    await expect(signingKeyFromPem(small, 'AUTH_SIGNING_KEY')).rejects.toThrow(
      'AUTH_SIGNING_KEY is a 1024-bit RSA key; RS256 needs 2048 or more',
    );
    await expect(signingKeyFromPem(ec, 'AUTH_SIGNING_KEY')).rejects.toThrow(
      'AUTH_SIGNING_KEY is not an RSA key',
    );
    const garbage = '-----BEGIN PRIVATE KEY-----\nc2VjcmV0LW1hdGVyaWFs\n-----END PRIVATE KEY-----';
    const failure = await signingKeyFromPem(garbage, 'AUTH_SIGNING_KEY_FILE (/run/key.pem)').catch(
      (error: Error) => error,
    );
    expect(failure).toEqual(new Error('AUTH_SIGNING_KEY_FILE (/run/key.pem) is not a PEM private key'));
    // A public key is not enough to sign with.
    await expect(signingKeyFromPem(pem(rsa2048.publicKey, 'spki'), 'k')).rejects.toThrow(
      'not a PEM private key',
    );
  });
});

describe(publicKeyFromPem.name, () => {
  it('takes a public key, or the public half of a private key, to the same kid', async () => {
    const fromPublic = await publicKeyFromPem(pem(rsa2048.publicKey, 'spki'), 'AUTH_PREVIOUS_SIGNING_KEY');
    const fromPrivate = await publicKeyFromPem(PRIVATE_PEM, 'AUTH_PREVIOUS_SIGNING_KEY');
    expect(fromPublic).toEqual(fromPrivate);
    expect(fromPublic.kid).toBe((await signingKeyFromPem(PRIVATE_PEM, 'x')).kid);
    expect(Object.keys(fromPublic.jwk).sort()).toEqual(['alg', 'e', 'kid', 'kty', 'n', 'use']);
  });
});
