import { envInt } from '@emporium/platform/config';
import { BALANCING_STRATEGIES, BalancingStrategy } from '@emporium/platform/discovery';
import { Transform } from 'class-transformer';
import { IsIn, IsInt, IsNumber, Max, Min } from 'class-validator';

const toNumber = ({ value }: { value: unknown }): unknown =>
  typeof value === 'string' && /^-?\d+(\.\d+)?$/.test(value.trim()) ? Number(value.trim()) : value;

/** How calls to other services behave: timeouts, retries, circuit breaker, load balancing. */
export class HttpClientEnv {
  /** Timeout of one attempt (connect to last byte). */
  @Transform(envInt)
  @IsInt()
  @Min(10)
  @Max(60_000)
  HTTP_CLIENT_ATTEMPT_TIMEOUT_MS: number = 2_000;

  /** Budget of a whole call (every attempt and pause); a shorter deadline of the request being served wins. */
  @Transform(envInt)
  @IsInt()
  @Min(10)
  @Max(60_000)
  HTTP_CLIENT_DEADLINE_MS: number = 5_000;

  /** Attempts per call, the first included; only idempotent requests get more than one. */
  @Transform(envInt)
  @IsInt()
  @Min(1)
  @Max(10)
  HTTP_CLIENT_MAX_ATTEMPTS: number = 3;

  /** Backoff before the first retry is uniform in [0, this); it doubles per retry (full jitter). */
  @Transform(envInt)
  @IsInt()
  @Min(1)
  @Max(10_000)
  HTTP_CLIENT_BACKOFF_INITIAL_MS: number = 50;

  @Transform(envInt)
  @IsInt()
  @Min(1)
  @Max(60_000)
  HTTP_CLIENT_BACKOFF_MAX_MS: number = 1_000;

  /** Retries allowed per call made, over a 10 s window, on top of the minimum below (Finagle's retry budget). */
  @Transform(toNumber)
  @IsNumber({}, { message: 'must be a number from 0 to 1' })
  @Min(0)
  @Max(1)
  HTTP_CLIENT_RETRY_BUDGET_RATIO: number = 0.2;

  /** Retries per second always allowed, so a quiet caller can still retry. */
  @Transform(envInt)
  @IsInt()
  @Min(0)
  @Max(1_000)
  HTTP_CLIENT_RETRY_BUDGET_MIN_PER_SECOND: number = 5;

  /** Consecutive failed attempts to a target (5xx, timeout, refused) that open its circuit. */
  @Transform(envInt)
  @IsInt()
  @Min(1)
  @Max(1_000)
  HTTP_CLIENT_BREAKER_THRESHOLD: number = 5;

  /** How long an open circuit fails fast before letting one trial call through (half-open). */
  @Transform(envInt)
  @IsInt()
  @Min(10)
  @Max(600_000)
  HTTP_CLIENT_BREAKER_HALF_OPEN_AFTER_MS: number = 10_000;

  @IsIn(BALANCING_STRATEGIES, { message: `must be one of ${BALANCING_STRATEGIES.join(', ')}` })
  HTTP_CLIENT_BALANCER: BalancingStrategy = 'weighted';

  /** Consecutive failures that eject one instance from the balancer; 0 turns outlier ejection off. */
  @Transform(envInt)
  @IsInt()
  @Min(0)
  @Max(1_000)
  HTTP_CLIENT_EJECT_AFTER_FAILURES: number = 5;

  /** First ejection of an instance; each further one in a row lasts one more multiple of it. */
  @Transform(envInt)
  @IsInt()
  @Min(10)
  @Max(600_000)
  HTTP_CLIENT_EJECT_BASE_MS: number = 10_000;

  @Transform(envInt)
  @IsInt()
  @Min(10)
  @Max(3_600_000)
  HTTP_CLIENT_EJECT_MAX_MS: number = 60_000;

  /** At most this share of a target's instances is ejected at once. */
  @Transform(envInt)
  @IsInt()
  @Min(0)
  @Max(100)
  HTTP_CLIENT_EJECT_MAX_PERCENT: number = 50;
}
