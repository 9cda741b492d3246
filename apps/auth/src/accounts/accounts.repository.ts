import { isRole, Role } from '@emporium/platform/auth';
import { pgPoolOf } from '@emporium/platform/database';
import { Outbox } from '@emporium/platform/messaging';
import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { Pool } from 'pg';
import { DataSource, EntityManager } from 'typeorm';

import { sql } from '../persistence/sql';

export interface Account {
  id: string;
  email: string;
  passwordHash: string;
  roles: Role[];
}

export interface NewAccount {
  /** Already normalised (trimmed, lower-case). */
  email: string;
  passwordHash: string;
  roles: Role[];
  /** Not stored here: the user service keeps profiles. Travels in `user.registered` only. */
  name: string;
}

interface AccountRow {
  id: string;
  email: string;
  password_hash: string;
  roles: string[];
}

export const EMAIL_UNIQUE_CONSTRAINT = 'credentials_email_key';

const toAccount = (row: AccountRow): Account => ({
  id: row.id,
  email: row.email,
  passwordHash: row.password_hash,
  roles: row.roles.filter(isRole),
});

/** Credentials in `auth.credentials`: e-mail, argon2id hash, roles. */
@Injectable()
export class AccountsRepository {
  private readonly pool: Pool;

  constructor(
    @InjectDataSource() dataSource: DataSource,
    private readonly outbox: Outbox,
  ) {
    this.pool = pgPoolOf(dataSource);
  }

  async findByEmail(email: string): Promise<Account | undefined> {
    const { rows } = await this.pool.query<AccountRow>({
      name: 'account-by-email',
      text: 'SELECT id, email, password_hash, roles FROM auth.credentials WHERE email = $1',
      values: [email],
    });
    return rows[0] ? toAccount(rows[0]) : undefined;
  }

  /**
   * Inserts the credentials and `user.registered` inside the caller's transaction, so the user service
   * hears of every account and of no account that was rolled back. `ifAbsent` turns an existing e-mail
   * into `undefined` (start-up bootstrap on several replicas); otherwise the unique violation is thrown
   * (EMAIL_UNIQUE_CONSTRAINT; the unique index settles racing registrations).
   */
  async create(manager: EntityManager, account: NewAccount, ifAbsent = false): Promise<string | undefined> {
    const { rows } = await sql<{ id: string }>(
      manager,
      `INSERT INTO auth.credentials (email, password_hash, roles) VALUES ($1, $2, $3)
       ${ifAbsent ? 'ON CONFLICT (email) DO NOTHING' : ''}
       RETURNING id`,
      [account.email, account.passwordHash, account.roles],
    );
    const userId = rows[0]?.id;
    if (userId === undefined) return undefined;
    await this.outbox.add(manager, {
      type: 'user.registered',
      subject: userId,
      data: { userId, email: account.email, name: account.name },
    });
    return userId;
  }

  /** Replaces a hash made under weaker parameters, unless the password changed meanwhile. */
  async upgradePasswordHash(manager: EntityManager, id: string, from: string, to: string): Promise<boolean> {
    const { rowCount } = await sql(
      manager,
      `UPDATE auth.credentials SET password_hash = $3, updated_at = now() WHERE id = $1 AND password_hash = $2`,
      [id, from, to],
    );
    return rowCount === 1;
  }
}
