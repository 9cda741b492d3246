import { createPrivateKey, createPublicKey, KeyObject } from 'node:crypto';

import { calculateJwkThumbprint, exportJWK, JWK } from 'jose';

/** RFC 8725 / RFC 7518: RS256 keys of at least 2048 bits (libs/platform/auth requires the same). */
export const MIN_RSA_BITS = 2048;

export interface PublicSigningKey {
  /** RFC 7638 thumbprint (SHA-256, base64url) of the public key: stable, and derived, never configured. */
  kid: string;
  /** The JWKS entry: `kty`, `n`, `e`, `kid`, `alg: RS256`, `use: sig`. */
  jwk: JWK;
}

export interface SigningKey extends PublicSigningKey {
  privateKey: KeyObject;
}

function assertRsa(key: KeyObject, source: string): void {
  const bits = key.asymmetricKeyDetails?.modulusLength ?? 0;
  if (key.asymmetricKeyType !== 'rsa') throw new Error(`${source} is not an RSA key (RS256 needs one)`);
  if (bits < MIN_RSA_BITS)
    throw new Error(`${source} is a ${bits}-bit RSA key; RS256 needs ${MIN_RSA_BITS} or more`);
}

async function describePublicKey(publicKey: KeyObject): Promise<PublicSigningKey> {
  const { kty, n, e } = await exportJWK(publicKey);
  const kid = await calculateJwkThumbprint({ kty, n, e }, 'sha256');
  return { kid, jwk: { kty, n, e, kid, alg: 'RS256', use: 'sig' } };
}

/** A signing key from a PEM private key (PKCS#8 or PKCS#1). Error messages never quote the key. */
export async function signingKeyFromPem(pem: string, source: string): Promise<SigningKey> {
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey({ key: pem, format: 'pem' });
  } catch {
    throw new Error(`${source} is not a PEM private key`);
  }
  assertRsa(privateKey, source);
  return { ...(await describePublicKey(createPublicKey(privateKey))), privateKey };
}

/**
 * A key that is only published (the previous or the next one): a PEM public key, or a private key whose
 * public half is taken, so operators can pass the same file they sign with.
 */
export async function publicKeyFromPem(pem: string, source: string): Promise<PublicSigningKey> {
  let publicKey: KeyObject;
  try {
    publicKey = createPublicKey({ key: pem, format: 'pem' });
  } catch {
    throw new Error(`${source} is not a PEM public or private key`);
  }
  assertRsa(publicKey, source);
  return describePublicKey(publicKey);
}
