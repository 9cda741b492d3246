import { UserRegistered } from '@emporium/contracts';
import { isUniqueViolation, pgPoolOf } from '@emporium/platform/database';
import { DomainError, Page, PageTokens } from '@emporium/platform/http';
import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { Pool } from 'pg';
import { DataSource, EntityManager } from 'typeorm';

import { Profile, PROFILE_COLUMNS, profileNotFound, ProfileRow, toProfile } from './profile';

/** What `user.registered` carries (auth's event; libs/contracts). */
export type Registration = Pick<UserRegistered, 'userId' | 'email' | 'name'>;

export interface NewProfile {
  id: string;
  email: string;
  name: string;
}

export interface ProfileListQuery {
  pageSize: number;
  pageToken?: string;
  /** Only the profile with this address (case-insensitive). */
  email?: string;
}

/** Listing keyset: insertion order, newest first. Kept as Postgres text (bigint). */
interface ListKey {
  seq: string;
}

const isListKey = (key: unknown): key is ListKey =>
  typeof (key as ListKey | null)?.seq === 'string' && /^\d{1,19}$/.test((key as ListKey).seq);

const emailTaken = (): DomainError =>
  new DomainError('EMAIL_TAKEN', 'conflict', 'Another profile has this e-mail address');

@Injectable()
export class ProfilesService {
  private readonly pool: Pool;

  constructor(@InjectDataSource() dataSource: DataSource) {
    this.pool = pgPoolOf(dataSource);
  }

  /**
   * Creates the profile of a newly registered account, inside the caller's transaction (the consumer's,
   * with its inbox row), so the profile and the record of the event commit together. Idempotent by id: a
   * redelivered event changes nothing, not even a name the user has changed since. Resolves to true when
   * the profile was created. An address already used by another profile is EMAIL_TAKEN (conflict): auth
   * keeps addresses unique, so that is a fault for an operator, not something to retry.
   */
  async createFromRegistration(manager: EntityManager, registration: Registration): Promise<boolean> {
    try {
      const rows = (await manager.query(
        `INSERT INTO "user".profiles (id, email, name) VALUES ($1, lower($2), $3)
         ON CONFLICT (id) DO NOTHING
         RETURNING id`,
        [registration.userId, registration.email, registration.name],
      )) as { id: string }[];
      return rows.length === 1;
    } catch (error) {
      if (isUniqueViolation(error, 'profiles_email_key')) throw emailTaken();
      throw error;
    }
  }

  /** Creates a profile on an admin's request (gRPC CreateUser): a repair for an account auth knows. */
  async create(input: NewProfile): Promise<Profile> {
    try {
      const result = await this.pool.query<ProfileRow>(
        `INSERT INTO "user".profiles (id, email, name) VALUES ($1, lower($2), $3) RETURNING ${PROFILE_COLUMNS}`,
        [input.id, input.email, input.name],
      );
      return toProfile(result.rows[0]);
    } catch (error) {
      if (isUniqueViolation(error, 'profiles_pkey')) {
        throw new DomainError('PROFILE_EXISTS', 'conflict', `A profile with id ${input.id} already exists`);
      }
      if (isUniqueViolation(error, 'profiles_email_key')) throw emailTaken();
      throw error;
    }
  }

  /** Every `/users/me` and GetUser: one named prepared statement on the pool. */
  async get(id: string): Promise<Profile> {
    const result = await this.pool.query<ProfileRow>({
      name: 'profile-by-id',
      text: `SELECT ${PROFILE_COLUMNS} FROM "user".profiles WHERE id = $1`,
      values: [id],
    });
    const row = result.rows[0];
    if (!row) throw profileNotFound(id);
    return toProfile(row);
  }

  async findByEmail(email: string): Promise<Profile | undefined> {
    const result = await this.pool.query<ProfileRow>(
      `SELECT ${PROFILE_COLUMNS} FROM "user".profiles WHERE lower(email) = lower($1)`,
      [email],
    );
    const row = result.rows[0];
    return row ? toProfile(row) : undefined;
  }

  /**
   * Newest first, in keyset pages (docs/adr/0004). With `email` the page holds that one profile or none:
   * addresses are unique, so it never has a next page.
   */
  async list(query: ProfileListQuery): Promise<Page<Profile>> {
    const filters = { email: query.email?.toLowerCase() ?? null };
    const after = query.pageToken ? PageTokens.decode(query.pageToken, filters, isListKey) : undefined;
    // The cursor has a name of its own: `seq::text AS seq` would make ORDER BY sort the text ('9' > '10').
    const result = await this.pool.query<ProfileRow & { cursor: string }>(
      `SELECT ${PROFILE_COLUMNS}, seq::text AS cursor
         FROM "user".profiles
        WHERE ($1::text IS NULL OR lower(email) = $1)
          AND ($2::bigint IS NULL OR seq < $2::bigint)
        ORDER BY seq DESC
        LIMIT $3`,
      [filters.email, after?.seq ?? null, query.pageSize + 1],
    );
    const rows = result.rows.slice(0, query.pageSize);
    const last = rows[rows.length - 1];
    return {
      items: rows.map(toProfile),
      nextPageToken:
        result.rows.length > query.pageSize && last
          ? PageTokens.encode<ListKey>({ seq: last.cursor }, filters)
          : null,
    };
  }

  /** Renames the profile; the name is the only field a user may change. */
  async rename(id: string, name: string): Promise<Profile> {
    const result = await this.pool.query<ProfileRow>(
      `UPDATE "user".profiles SET name = $2, updated_at = now() WHERE id = $1 RETURNING ${PROFILE_COLUMNS}`,
      [id, name],
    );
    const row = result.rows[0];
    if (!row) throw profileNotFound(id);
    return toProfile(row);
  }

  /** Deletes the profile and, by cascade, its addresses. The account and its credentials stay with auth. */
  async delete(id: string): Promise<void> {
    const result = await this.pool.query(`DELETE FROM "user".profiles WHERE id = $1`, [id]);
    if (result.rowCount === 0) throw profileNotFound(id);
  }
}
