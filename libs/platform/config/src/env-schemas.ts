import { Transform } from 'class-transformer';
import { IsIn, IsInt, IsString, IsUrl, Matches, Max, Min } from 'class-validator';

/** `@Transform(envInt)`: a variable of digits becomes a number; anything else is left for the validator to refuse. */
export const envInt = ({ value }: { value: unknown }): unknown =>
  typeof value === 'string' && /^-?\d+$/.test(value.trim()) ? Number(value.trim()) : value;
/** `@Transform(envBool)`: `true` / `false`; anything else is left for the validator to refuse. */
export const envBool = ({ value }: { value: unknown }): unknown =>
  value === 'true' ? true : value === 'false' ? false : value;
/** `@Transform(envList)`: a comma-separated variable becomes a list of trimmed, non-empty items. */
export const envList = ({ value }: { value: unknown }): unknown =>
  typeof value === 'string'
    ? value
        .split(',')
        .map((item) => item.trim())
        .filter(Boolean)
    : value;

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** HTTP server settings; PORT's default comes from the service descriptor. */
export class HttpEnv {
  @Transform(envInt)
  @IsInt({ message: 'must be an integer port number' })
  @Min(1)
  @Max(65535)
  PORT: number = 3000;

  /** Comma-separated allowed origins; empty means cross-origin requests are refused. */
  @Transform(envList)
  @IsString({ each: true })
  CORS_ORIGINS: string[] = [];

  /** Largest accepted request body, in bytes. */
  @Transform(envInt)
  @IsInt()
  @Min(1024)
  @Max(10 * 1024 * 1024)
  HTTP_BODY_LIMIT: number = 100 * 1024;

  /**
   * How long, after SIGTERM, the service keeps serving while readiness reports 503 so load balancers
   * stop routing to it. Kubernetes sets a few seconds; local runs need none.
   */
  @Transform(envInt)
  @IsInt()
  @Min(0)
  @Max(8000)
  SHUTDOWN_DRAIN_MS: number = 0;

  /**
   * Proxies in front of the service whose X-Forwarded-For is trusted for the client address: 1 behind a
   * Kubernetes ingress, 0 (the default) where clients connect directly and could forge the header.
   */
  @Transform(envInt)
  @IsInt()
  @Min(0)
  @Max(5)
  HTTP_TRUSTED_PROXY_HOPS: number = 0;
}

export class PgEnv {
  @IsUrl(
    { protocols: ['postgres', 'postgresql'], require_tld: false, require_protocol: true },
    { message: 'must be a postgres:// URL' },
  )
  PG_URL: string = 'postgres://postgres@127.0.0.1:5432/emporium';

  @Transform(envInt)
  @IsInt()
  @Min(1)
  @Max(100)
  PG_POOL_MAX: number = 10;

  /** Server-side statement timeout in ms; a runaway query fails instead of holding a connection. */
  @Transform(envInt)
  @IsInt()
  @Min(100)
  @Max(600_000)
  PG_STATEMENT_TIMEOUT_MS: number = 5_000;

  /** How long a request waits for a free pooled connection before failing with 503. */
  @Transform(envInt)
  @IsInt()
  @Min(100)
  @Max(60_000)
  PG_CONNECT_TIMEOUT_MS: number = 3_000;
}

export class LogEnv {
  @IsIn(LOG_LEVELS, { message: `must be one of ${LOG_LEVELS.join(', ')}` })
  LOG_LEVEL: LogLevel = 'info';
}

export class MetricsEnv {
  @Transform(envBool)
  @IsIn([true, false], { message: 'must be true or false' })
  METRICS_ENABLED: boolean = true;
}

export class AuthEnv {
  @IsUrl({ protocols: ['http', 'https'], require_tld: false, require_protocol: true })
  AUTH_JWKS_URL: string = 'http://127.0.0.1:3001/.well-known/jwks.json';

  @IsString()
  @Matches(/^\S+$/, { message: 'must be a non-empty string without spaces' })
  AUTH_ISSUER: string = 'emporium-auth';

  @IsString()
  @Matches(/^\S+$/, { message: 'must be a non-empty string without spaces' })
  AUTH_AUDIENCE: string = 'emporium';

  /** Seconds of clock skew tolerated on exp/nbf/iat. */
  @Transform(envInt)
  @IsInt()
  @Min(0)
  @Max(300)
  AUTH_CLOCK_TOLERANCE_S: number = 5;

  /** How long fetched signing keys are trusted before they are fetched again (unknown kids refetch at once). */
  @Transform(envInt)
  @IsInt()
  @Min(1_000)
  @Max(86_400_000)
  AUTH_JWKS_CACHE_MS: number = 600_000;
}
