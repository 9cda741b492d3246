import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { SigningKeyEnv } from '../config/auth-service.env';
import { LocalSigningKeyStore } from './local-signing-key.store';
import { SigningKeys } from './signing-keys';

const privatePem = (): string =>
  generateKeyPairSync('rsa', { modulusLength: 2048 })
    .privateKey.export({ type: 'pkcs8', format: 'pem' })
    .toString();

const CURRENT = privatePem();
const GENERATED = privatePem();

/** The database-backed store is exercised by the e2e tests; here only whether it is asked matters. */
function storeAnswering(pem: string): LocalSigningKeyStore & { calls: number } {
  const store = { calls: 0, getOrCreate: async () => ((store.calls += 1), pem) };
  return store as unknown as LocalSigningKeyStore & { calls: number };
}

async function load(env: Partial<SigningKeyEnv>, store = storeAnswering(GENERATED)): Promise<SigningKeys> {
  const sut = new SigningKeys(Object.assign(new SigningKeyEnv(), env), store);
  await sut.onModuleInit();
  return sut;
}

describe(SigningKeys.name, () => {
  let dir: string;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'signing-keys-'));
    writeFileSync(join(dir, 'current.pem'), CURRENT);
  });

  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('signs with the key from the file, and asks for no generated one', async () => {
    const store = storeAnswering(GENERATED);
    const fromFile = await load({ AUTH_SIGNING_KEY_FILE: join(dir, 'current.pem') }, store);
    const inline = await load({ AUTH_SIGNING_KEY: CURRENT });
    expect(fromFile.signing.kid).toBe(inline.signing.kid);
    expect(fromFile.publicKeys.keys.map((key) => key.kid)).toEqual([fromFile.signing.kid]);
    expect(store.calls).toBe(0);
  });

  it('uses the generated key outside production only, or when told to', async () => {
    const generated = await load({});
    const forced = await load({ NODE_ENV: 'production', AUTH_SIGNING_KEY_GENERATE: 'true' });
    expect(forced.signing.kid).toBe(generated.signing.kid);
    await expect(load({ NODE_ENV: 'production' })).rejects.toThrow(
      /No signing key: set AUTH_SIGNING_KEY_FILE/,
    );
    await expect(load({ AUTH_SIGNING_KEY_GENERATE: 'false' })).rejects.toThrow(/No signing key/);
  });

  it('publishes next and previous keys after the current one, once each', async () => {
    const next = privatePem();
    const sut = await load({
      AUTH_SIGNING_KEY: CURRENT,
      AUTH_NEXT_SIGNING_KEY: next,
      AUTH_PREVIOUS_SIGNING_KEY: CURRENT,
    });
    const nextKid = (await load({ AUTH_SIGNING_KEY: next })).signing.kid;
    expect(sut.publicKeys.keys.map((key) => key.kid)).toEqual([sut.signing.kid, nextKid]);
  });

  it('refuses ambiguous or unreadable configuration, naming the variable', async () => {
    await expect(
      load({ AUTH_SIGNING_KEY: CURRENT, AUTH_SIGNING_KEY_FILE: join(dir, 'current.pem') }),
    ).rejects.toThrow('Set AUTH_SIGNING_KEY_FILE or AUTH_SIGNING_KEY, not both');
    await expect(load({ AUTH_SIGNING_KEY_FILE: join(dir, 'missing.pem') })).rejects.toThrow(
      /AUTH_SIGNING_KEY_FILE \(.*missing\.pem\) cannot be read: ENOENT/,
    );
    await expect(load({ AUTH_SIGNING_KEY: CURRENT, AUTH_PREVIOUS_SIGNING_KEY: 'nonsense' })).rejects.toThrow(
      'AUTH_PREVIOUS_SIGNING_KEY is not a PEM public or private key',
    );
  });
});
