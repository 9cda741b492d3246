import { isRole, Role } from '@emporium/platform/auth';
import { pgPoolOf } from '@emporium/platform/database';
import { Injectable, Logger, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { Pool } from 'pg';
import { DataSource, EntityManager } from 'typeorm';

import { RefreshTokenEnv } from '../config/auth-service.env';
import { sql } from '../persistence/sql';
import { TokenSubject } from './access-token.issuer';
import { newRefreshToken, refreshTokenHash } from './refresh-token';

export type RotationOutcome =
  /** The token was current: it is spent now, and `refreshToken` replaces it in the same family. */
  | { kind: 'rotated'; subject: TokenSubject; refreshToken: string }
  /** The token had been spent already: someone replayed it, so its whole family is revoked now. */
  | { kind: 'reused'; userId: string; familyId: string }
  /** Unknown, expired, or of a revoked family. */
  | { kind: 'invalid' };

interface LockedToken {
  family_id: string;
  user_id: string;
  spent: boolean;
  expired: boolean;
  revoked: boolean;
  email: string;
  roles: string[];
}

const SWEEP_INTERVAL_MS = 10 * 60_000;
const SWEEP_BATCH = 1_000;

/**
 * Refresh tokens (RFC 6819 §5.2.2.3, OAuth 2.0 Security BCP §4.14): opaque, stored as SHA-256 only, single
 * use, rotated on every refresh, grouped in families (one per login). Presenting a spent token revokes its
 * family, which ends the session of both the thief and the victim; logout revokes the family too.
 *
 * A family lives as long as its newest token (`expires_at` moves with each rotation); spent tokens stay
 * until then so a replay is recognised for the whole life of the session. Expired families are swept.
 */
@Injectable()
export class RefreshTokenStore implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger(RefreshTokenStore.name);
  private readonly pool: Pool;
  private readonly ttlSeconds: number;
  private sweepTimer?: NodeJS.Timeout;
  private sweeping?: Promise<unknown>;

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    env: RefreshTokenEnv,
  ) {
    this.pool = pgPoolOf(dataSource);
    this.ttlSeconds = env.AUTH_REFRESH_TOKEN_TTL_S;
  }

  onModuleInit(): void {
    this.sweepTimer = setInterval(() => {
      if (this.sweeping) return;
      this.sweeping = this.sweepExpired()
        .catch((error: unknown) =>
          this.logger.warn(
            `Sweeping expired refresh tokens failed: ${error instanceof Error ? error.message : String(error)}`,
          ),
        )
        .finally(() => (this.sweeping = undefined));
    }, SWEEP_INTERVAL_MS);
    this.sweepTimer.unref();
  }

  async onModuleDestroy(): Promise<void> {
    clearInterval(this.sweepTimer);
    await this.sweeping;
  }

  /** Opens a family for a new session, inside the caller's (login) transaction; answers its first token. */
  async startFamily(manager: EntityManager, userId: string): Promise<string> {
    const { rows } = await sql<{ id: string }>(
      manager,
      `INSERT INTO auth.refresh_token_families (user_id, expires_at)
       VALUES ($1, now() + $2 * interval '1 second') RETURNING id`,
      [userId, this.ttlSeconds],
    );
    return this.addToken(manager, rows[0].id);
  }

  /**
   * Spends `token` and answers its successor. Token and family rows are locked (`FOR UPDATE`), so of two
   * concurrent refreshes with one token exactly one rotates; the other then finds the token spent, which is
   * a replay like any other.
   */
  async rotate(token: string): Promise<RotationOutcome> {
    return this.dataSource.transaction(async (manager) => {
      const { rows } = await sql<LockedToken>(
        manager,
        `SELECT t.family_id, f.user_id,
                t.spent_at IS NOT NULL AS spent,
                t.expires_at <= now() AS expired,
                f.revoked_at IS NOT NULL AS revoked,
                c.email, c.roles
           FROM auth.refresh_tokens t
           JOIN auth.refresh_token_families f ON f.id = t.family_id
           JOIN auth.credentials c ON c.id = f.user_id
          WHERE t.token_hash = $1
            FOR UPDATE OF t, f`,
        [refreshTokenHash(token)],
      );
      const found = rows[0];
      if (!found || found.revoked || found.expired) return { kind: 'invalid' };
      if (found.spent) {
        await this.revokeFamily(manager, found.family_id, 'reuse');
        return { kind: 'reused', userId: found.user_id, familyId: found.family_id };
      }
      await sql(manager, 'UPDATE auth.refresh_tokens SET spent_at = now() WHERE token_hash = $1', [
        refreshTokenHash(token),
      ]);
      const refreshToken = await this.addToken(manager, found.family_id);
      const roles: Role[] = found.roles.filter(isRole);
      return { kind: 'rotated', subject: { id: found.user_id, email: found.email, roles }, refreshToken };
    });
  }

  /** Revokes the family `token` belongs to (logout); false when the token is unknown or already revoked. */
  async revokeFamilyOf(token: string): Promise<boolean> {
    return this.dataSource.transaction(async (manager) => {
      const { rows } = await sql<{ family_id: string }>(
        manager,
        'SELECT family_id FROM auth.refresh_tokens WHERE token_hash = $1',
        [refreshTokenHash(token)],
      );
      const familyId = rows[0]?.family_id;
      return familyId === undefined ? false : this.revokeFamily(manager, familyId, 'logout');
    });
  }

  /** Deletes families (and, by cascade, their tokens) whose newest token has expired; answers how many. */
  async sweepExpired(): Promise<number> {
    let total = 0;
    for (;;) {
      const { rowCount } = await this.pool.query(
        `DELETE FROM auth.refresh_token_families
          WHERE id IN (SELECT id FROM auth.refresh_token_families WHERE expires_at <= now() LIMIT $1)`,
        [SWEEP_BATCH],
      );
      total += rowCount ?? 0;
      if ((rowCount ?? 0) < SWEEP_BATCH) return total;
    }
  }

  private async addToken(manager: EntityManager, familyId: string): Promise<string> {
    const token = newRefreshToken();
    await sql(
      manager,
      `WITH token AS (
         INSERT INTO auth.refresh_tokens (token_hash, family_id, expires_at)
         VALUES ($1, $2, now() + $3 * interval '1 second')
         RETURNING family_id, expires_at)
       UPDATE auth.refresh_token_families f SET expires_at = token.expires_at FROM token WHERE f.id = token.family_id`,
      [refreshTokenHash(token), familyId, this.ttlSeconds],
    );
    return token;
  }

  private async revokeFamily(
    manager: EntityManager,
    familyId: string,
    reason: 'logout' | 'reuse',
  ): Promise<boolean> {
    const { rowCount } = await sql(
      manager,
      `UPDATE auth.refresh_token_families SET revoked_at = now(), revoke_reason = $2
        WHERE id = $1 AND revoked_at IS NULL`,
      [familyId, reason],
    );
    return rowCount === 1;
  }
}
