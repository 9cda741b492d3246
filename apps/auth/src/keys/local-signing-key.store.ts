import { generateKeyPair } from 'node:crypto';
import { promisify } from 'node:util';

import { pgPoolOf } from '@emporium/platform/database';
import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { Pool } from 'pg';
import { DataSource } from 'typeorm';

const generateRsaKeyPair = promisify(generateKeyPair);

/**
 * The signing key of local runs (no key configured, not production): generated once and kept in the
 * database, so every replica and every restart signs with the same key and tokens survive a restart. One
 * row at most; replicas starting together race on `ON CONFLICT DO NOTHING` and all read the winner.
 */
@Injectable()
export class LocalSigningKeyStore {
  private readonly logger = new Logger(LocalSigningKeyStore.name);
  private readonly pool: Pool;

  constructor(@InjectDataSource() dataSource: DataSource) {
    this.pool = pgPoolOf(dataSource);
  }

  /** The stored PEM private key, generating and storing one first when there is none. */
  async getOrCreate(): Promise<string> {
    const existing = await this.read();
    if (existing !== undefined) return existing;
    const { privateKey } = await generateRsaKeyPair('rsa', {
      modulusLength: 2048,
      privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
      publicKeyEncoding: { type: 'spki', format: 'pem' },
    });
    const inserted = await this.pool.query(
      'INSERT INTO auth.local_signing_key (private_key_pem) VALUES ($1) ON CONFLICT (id) DO NOTHING',
      [privateKey],
    );
    if (inserted.rowCount === 1) this.logger.warn('Generated a signing key for local runs and stored it');
    const stored = await this.read();
    if (stored === undefined) throw new Error('The local signing key vanished while it was being created');
    return stored;
  }

  private async read(): Promise<string | undefined> {
    const { rows } = await this.pool.query<{ private_key_pem: string }>(
      'SELECT private_key_pem FROM auth.local_signing_key',
    );
    return rows[0]?.private_key_pem;
  }
}
