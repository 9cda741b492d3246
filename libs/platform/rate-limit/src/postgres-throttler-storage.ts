import { Logger } from '@nestjs/common';
import { ThrottlerStorage } from '@nestjs/throttler';

/** What the storage needs of a connection pool (pg's Pool, or a client): one parameterised query at a time. */
export interface RateLimitQueryable {
  query<R extends object>(text: string, values?: unknown[]): Promise<{ rows: R[]; rowCount?: number | null }>;
}

/** What `increment` answers (@nestjs/throttler does not export the type from its index). */
export type RateLimitRecord = Awaited<ReturnType<ThrottlerStorage['increment']>>;

export interface PostgresThrottlerStorageOptions {
  /** The service's own schema, where `CreateRateLimitTable…` created `rate_limits`. */
  schema: string;
  /** How often expired rows are deleted (ms); 0 turns the periodic sweep off. Default 60 s. */
  sweepIntervalMs?: number;
}

interface IncrementRow {
  hits: number;
  time_to_expire: number;
  is_blocked: boolean;
  time_to_block_expire: number;
}

const IDENTIFIER = /^[a-z][a-z0-9_]{0,62}$/;
const DEFAULT_SWEEP_INTERVAL_MS = 60_000;

/**
 * `ThrottlerStorage` of @nestjs/throttler on PostgreSQL, so every replica of a service counts against the
 * same limit. Fixed windows: the first hit of a key opens a window of `ttl` ms; hits past `limit` block the
 * key for `blockDuration` ms (or, when that is 0 or less, until the window ends), during which further hits
 * are refused and not counted; a new window opens with the first hit after both are over.
 *
 * Each hit is one statement: an upsert whose update computes the next state from the row it found, under
 * the row lock Postgres takes for `ON CONFLICT DO UPDATE`, so concurrent hits from any number of processes
 * are counted exactly. Times come from the database's clock (`now()`), never the replicas'. Expired rows are
 * swept periodically (any replica may sweep; the deletes are idempotent) and a key's row is reused by its
 * next window, so the table holds about one row per key active in the last window.
 */
export class PostgresThrottlerStorage implements ThrottlerStorage {
  private readonly logger = new Logger(PostgresThrottlerStorage.name);
  private readonly incrementSql: string;
  private readonly sweepSql: string;
  private readonly sweepIntervalMs: number;
  private sweepTimer?: NodeJS.Timeout;
  private sweeping?: Promise<unknown>;

  constructor(
    private readonly db: RateLimitQueryable,
    options: PostgresThrottlerStorageOptions,
  ) {
    if (!IDENTIFIER.test(options.schema)) throw new Error(`Invalid schema name "${options.schema}"`);
    const table = `"${options.schema}".rate_limits`;
    this.sweepIntervalMs = options.sweepIntervalMs ?? DEFAULT_SWEEP_INTERVAL_MS;
    // $1 policy, $2 key, $3 window (ms), $4 limit, $5 block (ms). In `ON CONFLICT DO UPDATE`, `r` is the row
    // as it was; the nested selects name the intermediate facts so each is computed once.
    this.incrementSql = `
      INSERT INTO ${table} AS r (policy, key, hits, window_ends_at, blocked_until)
      VALUES ($1, $2, 1, now() + $3 * interval '1 millisecond',
              CASE WHEN 1 > $4 THEN now() + CASE WHEN $5 > 0 THEN $5 ELSE $3 END * interval '1 millisecond' END)
      ON CONFLICT (policy, key) DO UPDATE SET (hits, window_ends_at, blocked_until) = (
        SELECT next.hits,
               next.window_ends_at,
               CASE WHEN next.blocked THEN r.blocked_until
                    WHEN next.hits > $4 THEN
                      CASE WHEN $5 > 0 THEN now() + $5 * interval '1 millisecond' ELSE next.window_ends_at END
               END
          FROM (SELECT state.blocked,
                       CASE WHEN state.blocked THEN r.hits WHEN state.fresh THEN 1 ELSE r.hits + 1 END AS hits,
                       CASE WHEN state.fresh THEN now() + $3 * interval '1 millisecond'
                            ELSE r.window_ends_at END AS window_ends_at
                  FROM (SELECT COALESCE(r.blocked_until > now(), false) AS blocked,
                               NOT COALESCE(r.blocked_until > now(), false)
                                 AND (r.window_ends_at <= now() OR r.blocked_until IS NOT NULL) AS fresh
                       ) AS state
               ) AS next
      )
      RETURNING hits,
                GREATEST(CEIL(EXTRACT(EPOCH FROM window_ends_at - now())), 0)::int AS time_to_expire,
                COALESCE(blocked_until > now(), false) AS is_blocked,
                GREATEST(CEIL(EXTRACT(EPOCH FROM blocked_until - now())), 0)::int AS time_to_block_expire`;
    this.sweepSql = `
      DELETE FROM ${table}
       WHERE window_ends_at <= now() AND (blocked_until IS NULL OR blocked_until <= now())`;
  }

  /**
   * Counts one hit of `key` under the policy `throttlerName`. `ttl` and `blockDuration` are in ms (as
   * @nestjs/throttler 6 passes them); the record's times are in whole seconds, as the guard expects.
   */
  async increment(
    key: string,
    ttl: number,
    limit: number,
    blockDuration: number,
    throttlerName: string,
  ): Promise<RateLimitRecord> {
    this.ensureSweep();
    const { rows } = await this.db.query<IncrementRow>(this.incrementSql, [
      throttlerName,
      key,
      ttl,
      limit,
      blockDuration,
    ]);
    const row = rows[0];
    if (!row) throw new Error('The rate-limit upsert returned no row');
    return {
      totalHits: row.hits,
      timeToExpire: row.time_to_expire,
      isBlocked: row.is_blocked,
      timeToBlockExpire: row.is_blocked ? row.time_to_block_expire : 0,
    };
  }

  /** Deletes every row whose window and block are over; resolves to how many. */
  async sweep(): Promise<number> {
    const result = await this.db.query(this.sweepSql);
    return result.rowCount ?? 0;
  }

  /** Stops the periodic sweep and waits for one in flight; call before closing the pool. */
  async close(): Promise<void> {
    if (this.sweepTimer) clearInterval(this.sweepTimer);
    this.sweepTimer = undefined;
    await this.sweeping;
  }

  private ensureSweep(): void {
    if (this.sweepTimer || this.sweepIntervalMs <= 0) return;
    this.sweepTimer = setInterval(() => {
      if (this.sweeping) return;
      this.sweeping = this.sweep()
        .catch((error: unknown) => {
          // A missed sweep only leaves dead rows for the next one; never worth more than a warning.
          const cause = error instanceof Error ? error.message : String(error);
          this.logger.warn(`Sweeping expired rate-limit rows failed: ${cause}`);
        })
        .finally(() => (this.sweeping = undefined));
    }, this.sweepIntervalMs);
    this.sweepTimer.unref();
  }
}
