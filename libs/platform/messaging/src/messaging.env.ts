import { envBool, envInt } from '@emporium/platform/config';
import { Transform } from 'class-transformer';
import { IsIn, IsInt, IsUrl, Max, Min } from 'class-validator';

/** Broker, consumer and outbox settings; every service that publishes or consumes lists this class. */
export class RmqEnv {
  /** amqp(s)://user:pass@host:port[/vhost]. */
  @IsUrl(
    { protocols: ['amqp', 'amqps'], require_tld: false, require_protocol: true },
    { message: 'must be an amqp:// or amqps:// URL' },
  )
  RMQ_URL: string = 'amqp://guest:guest@127.0.0.1:5672';

  /** Unacknowledged messages each consumer queue holds at once: also how many handlers run concurrently. */
  @Transform(envInt)
  @IsInt()
  @Min(1)
  @Max(1_000)
  RMQ_PREFETCH: number = 10;

  /** Attempts a failing message gets (the first delivery included) before it is dead-lettered. */
  @Transform(envInt)
  @IsInt()
  @Min(1)
  @Max(10)
  RMQ_MAX_ATTEMPTS: number = 5;

  /** Delay before the first retry; each later retry waits twice as long as the one before. */
  @Transform(envInt)
  @IsInt()
  @Min(10)
  @Max(3_600_000)
  RMQ_RETRY_BASE_MS: number = 1_000;

  /** Whether this process runs the outbox relay. Off only for a replica that must not publish. */
  @Transform(envBool)
  @IsIn([true, false], { message: 'must be true or false' })
  OUTBOX_RELAY_ENABLED: boolean = true;

  /** Polling fallback: how often the relay looks for unsent rows when no NOTIFY woke it. */
  @Transform(envInt)
  @IsInt()
  @Min(50)
  @Max(60_000)
  OUTBOX_POLL_MS: number = 1_000;

  /**
   * Rows the relay claims and publishes per round trip (two batches are in flight). Each claimed row's
   * aggregate takes a transaction-scoped advisory lock, and Postgres' shared lock table holds about
   * 64 × max_connections entries for the whole server: hence the cap.
   */
  @Transform(envInt)
  @IsInt()
  @Min(1)
  @Max(2_000)
  OUTBOX_BATCH_SIZE: number = 1_000;

  /** How long published outbox rows are kept (for inspection) before they are pruned. */
  @Transform(envInt)
  @IsInt()
  @Min(0)
  @Max(30 * 86_400_000)
  OUTBOX_RETENTION_MS: number = 3_600_000;

  /**
   * How long consumers remember processed message ids. A copy of a message redelivered later than this
   * would be processed again, so keep it well above the longest retry and outage you expect.
   */
  @Transform(envInt)
  @IsInt()
  @Min(3_600_000)
  @Max(365 * 86_400_000)
  INBOX_RETENTION_MS: number = 14 * 86_400_000;
}
