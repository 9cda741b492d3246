import { readFile } from 'node:fs/promises';

import { Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { JSONWebKeySet } from 'jose';

import { SigningKeyEnv } from '../config/auth-service.env';
import { LocalSigningKeyStore } from './local-signing-key.store';
import { publicKeyFromPem, PublicSigningKey, SigningKey, signingKeyFromPem } from './signing-key';

type Slot = 'SIGNING_KEY' | 'PREVIOUS_SIGNING_KEY' | 'NEXT_SIGNING_KEY';

/**
 * The key that signs access tokens and the keys published in the JWKS, loaded once at start-up.
 *
 * - Current (`AUTH_SIGNING_KEY_FILE` or `AUTH_SIGNING_KEY`): signs, and is published.
 * - Next (`AUTH_NEXT_SIGNING_KEY…`): published before it signs, so every verifier knows it by the time it
 *   does. Previous (`AUTH_PREVIOUS_SIGNING_KEY…`): published after it stopped signing, until its last token
 *   has expired. Rotation in three rollouts is described in the README and ADR 0006.
 * - Neither file nor value, outside production: a generated key kept in the database (LocalSigningKeyStore).
 */
@Injectable()
export class SigningKeys implements OnModuleInit {
  private readonly logger = new Logger(SigningKeys.name);
  private current?: SigningKey;
  private jwks: JSONWebKeySet = { keys: [] };

  constructor(
    private readonly env: SigningKeyEnv,
    private readonly localKeys: LocalSigningKeyStore,
  ) {}

  async onModuleInit(): Promise<void> {
    const current = await this.loadCurrent();
    const published: PublicSigningKey[] = [current];
    for (const slot of ['NEXT_SIGNING_KEY', 'PREVIOUS_SIGNING_KEY'] as const) {
      const configured = await this.read(slot);
      if (configured === undefined) continue;
      const key = await publicKeyFromPem(configured.pem, configured.source);
      if (!published.some((known) => known.kid === key.kid)) published.push(key);
    }
    this.current = current;
    this.jwks = Object.freeze({ keys: published.map((key) => Object.freeze({ ...key.jwk })) });
    this.logger.log(`Signing with key ${current.kid}; publishing ${published.length} key(s)`);
  }

  /** The key that signs new access tokens. */
  get signing(): SigningKey {
    if (!this.current) throw new Error('SigningKeys is not initialised');
    return this.current;
  }

  /** The public keys to serve at /.well-known/jwks.json: current first, then next and previous. */
  get publicKeys(): JSONWebKeySet {
    return this.jwks;
  }

  private async loadCurrent(): Promise<SigningKey> {
    const configured = await this.read('SIGNING_KEY');
    if (configured !== undefined) return signingKeyFromPem(configured.pem, configured.source);
    if (!this.mayGenerate()) {
      throw new Error(
        'No signing key: set AUTH_SIGNING_KEY_FILE (a mounted Secret) or AUTH_SIGNING_KEY. Outside production, ' +
          'or with AUTH_SIGNING_KEY_GENERATE=true, one is generated and kept in the database instead.',
      );
    }
    return signingKeyFromPem(await this.localKeys.getOrCreate(), 'the generated local signing key');
  }

  private mayGenerate(): boolean {
    const setting = this.env.AUTH_SIGNING_KEY_GENERATE;
    return setting === 'true' || (setting === '' && this.env.NODE_ENV !== 'production');
  }

  /** A slot's PEM from its file or its value; both set is a configuration error, not a silent choice. */
  private async read(slot: Slot): Promise<{ pem: string; source: string } | undefined> {
    const fileVariable = `AUTH_${slot}_FILE` as const;
    const valueVariable = `AUTH_${slot}` as const;
    const file = this.env[fileVariable];
    const value = this.env[valueVariable];
    if (file !== '' && value !== '') throw new Error(`Set ${fileVariable} or ${valueVariable}, not both`);
    if (value !== '') return { pem: value, source: valueVariable };
    if (file === '') return undefined;
    try {
      return { pem: await readFile(file, 'utf8'), source: `${fileVariable} (${file})` };
    } catch (error) {
      const code = (error as { code?: string }).code ?? 'unreadable';
      throw new Error(`${fileVariable} (${file}) cannot be read: ${code}`);
    }
  }
}
