import { pgPoolOf } from '@emporium/platform/database';
import { DomainError, Page, PageTokens } from '@emporium/platform/http';
import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { Pool } from 'pg';
import { DataSource } from 'typeorm';

import { profileNotFound } from '../profiles/profile';
import {
  Address,
  ADDRESS_COLUMNS,
  addressNotFound,
  AddressRow,
  MAX_ADDRESSES_PER_USER,
  toAddress,
} from './address';
import { CreateAddressDto } from './dto/address.dto';

/** Listing keyset: insertion order, oldest first. */
interface ListKey {
  seq: string;
}

const isListKey = (key: unknown): key is ListKey =>
  typeof (key as ListKey | null)?.seq === 'string' && /^\d{1,19}$/.test((key as ListKey).seq);

/**
 * A user's address book. Every statement names the owner, so an address of someone else is simply not
 * found: there is no code path that reads an address by id alone.
 */
@Injectable()
export class AddressesService {
  private readonly pool: Pool;

  constructor(@InjectDataSource() private readonly dataSource: DataSource) {
    this.pool = pgPoolOf(dataSource);
  }

  async list(userId: string, pageSize: number, pageToken?: string): Promise<Page<Address>> {
    const after = pageToken ? PageTokens.decode(pageToken, 'addresses', isListKey) : undefined;
    // The cursor has a name of its own: `seq::text AS seq` would make ORDER BY sort the text ('9' > '10').
    const result = await this.pool.query<AddressRow & { cursor: string }>(
      `SELECT ${ADDRESS_COLUMNS}, seq::text AS cursor
         FROM "user".addresses
        WHERE user_id = $1 AND ($2::bigint IS NULL OR seq > $2::bigint)
        ORDER BY seq
        LIMIT $3`,
      [userId, after?.seq ?? null, pageSize + 1],
    );
    // An empty book and a missing profile look alike here; /users/me says 404 for the latter, so this does too.
    if (result.rows.length === 0 && !after) await this.ensureProfile(userId);
    const rows = result.rows.slice(0, pageSize);
    const last = rows[rows.length - 1];
    return {
      items: rows.map(toAddress),
      nextPageToken:
        result.rows.length > pageSize && last
          ? PageTokens.encode<ListKey>({ seq: last.cursor }, 'addresses')
          : null,
    };
  }

  async get(userId: string, addressId: string): Promise<Address> {
    const result = await this.pool.query<AddressRow>(
      `SELECT ${ADDRESS_COLUMNS} FROM "user".addresses WHERE id = $1 AND user_id = $2`,
      [addressId, userId],
    );
    const row = result.rows[0];
    if (!row) throw addressNotFound(addressId);
    return toAddress(row);
  }

  /**
   * Adds an address, at most MAX_ADDRESSES_PER_USER per user. The profile row is locked first, so
   * concurrent additions for one user are counted one after the other and cannot overshoot the limit.
   */
  async add(userId: string, input: CreateAddressDto): Promise<Address> {
    return this.dataSource.transaction(async (manager) => {
      const owner = (await manager.query(`SELECT 1 FROM "user".profiles WHERE id = $1 FOR NO KEY UPDATE`, [
        userId,
      ])) as unknown[];
      if (owner.length === 0) throw profileNotFound(userId);
      // A statement of its own, after the lock: its snapshot sees what the previous lock holder committed.
      const [{ count }] = (await manager.query(
        `SELECT count(*)::int AS count FROM "user".addresses WHERE user_id = $1`,
        [userId],
      )) as { count: number }[];
      if (count >= MAX_ADDRESSES_PER_USER) {
        throw new DomainError(
          'ADDRESS_LIMIT_REACHED',
          'conflict',
          `An address book holds at most ${MAX_ADDRESSES_PER_USER} addresses; delete one first`,
        );
      }
      const rows = (await manager.query(
        `INSERT INTO "user".addresses (user_id, line1, line2, city, postal_code, country)
         VALUES ($1, $2, $3, $4, $5, $6)
         RETURNING ${ADDRESS_COLUMNS}`,
        [userId, input.line1, input.line2 ?? null, input.city, input.postalCode, input.country],
      )) as AddressRow[];
      return toAddress(rows[0]);
    });
  }

  async remove(userId: string, addressId: string): Promise<void> {
    const result = await this.pool.query(`DELETE FROM "user".addresses WHERE id = $1 AND user_id = $2`, [
      addressId,
      userId,
    ]);
    if (result.rowCount === 0) throw addressNotFound(addressId);
  }

  private async ensureProfile(userId: string): Promise<void> {
    const result = await this.pool.query(`SELECT 1 FROM "user".profiles WHERE id = $1`, [userId]);
    if (result.rowCount === 0) throw profileNotFound(userId);
  }
}
