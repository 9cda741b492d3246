import { Logger } from '@nestjs/common';
import { errors, exportJWK, FlattenedJWSInput, generateKeyPair, JSONWebKeySet, KeyLike } from 'jose';

import { JwksAccessTokenKeys, RemoteKeySet } from './access-token-keys';
import { AccessTokenKeysUnavailableException } from './auth.exceptions';

const COOLDOWN_MS = 30_000;
const TOKEN: FlattenedJWSInput = { payload: '', signature: '' };
const KNOWN = { alg: 'RS256', kid: 'key-1' };
const UNKNOWN = { alg: 'RS256', kid: 'key-2' };

/** Stands in for jose's remote JWKS: `lookup` decides each answer; `fetched` is what jose would have cached. */
function fakeRemote() {
  const state: { fetched?: JSONWebKeySet; lookup: jest.Mock<Promise<KeyLike>, [unknown, unknown]> } = {
    lookup: jest.fn(),
  };
  const remote = Object.assign((header: unknown, token: unknown) => state.lookup(header, token), {
    jwks: () => state.fetched,
  }) as RemoteKeySet;
  return { state, factory: jest.fn(() => remote) };
}

describe(JwksAccessTokenKeys.name, () => {
  let publicKey: KeyLike;
  let jwks: JSONWebKeySet;
  let remote: ReturnType<typeof fakeRemote>;
  let sut: JwksAccessTokenKeys;
  let warn: jest.SpyInstance;

  beforeAll(async () => {
    ({ publicKey } = await generateKeyPair('RS256'));
    jwks = { keys: [{ ...(await exportJWK(publicKey)), kid: 'key-1', alg: 'RS256' }] };
  });

  beforeEach(() => {
    warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation();
    remote = fakeRemote();
    sut = new JwksAccessTokenKeys(
      new URL('http://auth.test/.well-known/jwks.json'),
      { cacheMaxAgeMs: 600_000, cooldownMs: COOLDOWN_MS, timeoutMs: 1_000 },
      remote.factory,
    );
  });

  it('hands jose the cache age, cooldown and timeout', () => {
    expect(remote.factory).toHaveBeenCalledWith(expect.any(URL), {
      cacheMaxAge: 600_000,
      cooldownDuration: COOLDOWN_MS,
      timeoutDuration: 1_000,
    });
  });

  it('answers with the key jose resolves', async () => {
    remote.state.lookup.mockResolvedValue(publicKey);

    await expect(sut.resolve(KNOWN, TOKEN)).resolves.toBe(publicKey);
  });

  it('passes an unknown kid through as a token problem while the JWKS is reachable', async () => {
    remote.state.lookup.mockRejectedValue(new errors.JWKSNoMatchingKey());

    await expect(sut.resolve(UNKNOWN, TOKEN)).rejects.toThrow(errors.JWKSNoMatchingKey);
  });

  it('is unavailable (503) when the JWKS cannot be fetched and no key was ever fetched', async () => {
    remote.state.lookup.mockRejectedValue(
      Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }),
    );

    await expect(sut.resolve(KNOWN, TOKEN)).rejects.toThrow(AccessTokenKeysUnavailableException);
    expect(warn).toHaveBeenCalledWith(expect.stringContaining('ECONNREFUSED'));
  });

  describe('when a refetch fails after keys were fetched', () => {
    beforeEach(() => {
      remote.state.fetched = jwks;
      remote.state.lookup.mockRejectedValue(new errors.JWKSTimeout());
    });

    it('keeps verifying with the keys fetched earlier', async () => {
      await expect(sut.resolve(KNOWN, TOKEN)).resolves.toMatchObject({ type: 'public' });
    });

    it('is unavailable (503) for a kid it never fetched: it may be a key auth added since', async () => {
      await expect(sut.resolve(UNKNOWN, TOKEN)).rejects.toThrow(AccessTokenKeysUnavailableException);
    });

    it('asks auth again once per cooldown, not on every request', async () => {
      const start = Date.now();
      const clock = jest.spyOn(Date, 'now').mockReturnValue(start);
      await sut.resolve(KNOWN, TOKEN);
      await sut.resolve(KNOWN, TOKEN);
      clock.mockReturnValue(start + COOLDOWN_MS - 1);
      await sut.resolve(KNOWN, TOKEN);
      expect(remote.state.lookup).toHaveBeenCalledTimes(1);

      clock.mockReturnValue(start + COOLDOWN_MS);
      remote.state.lookup.mockResolvedValue(publicKey);

      await expect(sut.resolve(KNOWN, TOKEN)).resolves.toBe(publicKey);
      expect(remote.state.lookup).toHaveBeenCalledTimes(2);
      expect(warn).toHaveBeenCalledTimes(1);
    });
  });
});
