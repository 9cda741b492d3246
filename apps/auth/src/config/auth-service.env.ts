import { envInt } from '@emporium/platform/config';
import { IsRate } from '@emporium/platform/rate-limit';
import { Transform } from 'class-transformer';
import {
  IsEmail,
  IsIn,
  IsInt,
  IsString,
  Length,
  Matches,
  Max,
  MaxLength,
  Min,
  ValidateIf,
} from 'class-validator';

const isSet = (value: unknown): boolean => value !== '';

/**
 * Argon2id cost (OWASP Password Storage Cheat Sheet: m >= 19 MiB, t >= 2, p = 1 as the floor). Raising a
 * value upgrades each stored hash at its owner's next successful login. The pool bounds how many hashes run
 * at once (each holds `AUTH_ARGON2_MEMORY_KIB` of memory on a libuv thread); requests beyond the queue are
 * shed with 503.
 */
export class PasswordHashingEnv {
  @Transform(envInt)
  @IsInt()
  @Min(19_456, { message: 'must be at least 19456 (19 MiB, the OWASP minimum for argon2id)' })
  @Max(1_048_576)
  AUTH_ARGON2_MEMORY_KIB: number = 19_456;

  @Transform(envInt)
  @IsInt()
  @Min(2, { message: 'must be at least 2 (the OWASP minimum at 19 MiB)' })
  @Max(20)
  AUTH_ARGON2_TIME_COST: number = 2;

  @Transform(envInt)
  @IsInt()
  @Min(1)
  @Max(8)
  AUTH_ARGON2_PARALLELISM: number = 1;

  /** Hashes computed at once; about one per core the pod may use. */
  @Transform(envInt)
  @IsInt()
  @Min(1)
  @Max(16)
  AUTH_HASH_CONCURRENCY: number = 2;

  /** Hashes allowed to wait for a slot; past that, register and login answer 503 with Retry-After. */
  @Transform(envInt)
  @IsInt()
  @Min(0)
  @Max(10_000)
  AUTH_HASH_QUEUE_MAX: number = 100;
}

/**
 * Where the RS256 signing keys come from (docs/adr/0006-identity-tokens-and-keys.md). Each key is a PEM, given
 * inline or as a file path (a mounted Secret), never both. The current key signs; the previous and next keys
 * are only published in the JWKS, so a rotation never leaves a valid token without its key.
 */
export class SigningKeyEnv {
  @IsString()
  AUTH_SIGNING_KEY_FILE: string = '';

  @IsString()
  AUTH_SIGNING_KEY: string = '';

  @IsString()
  AUTH_PREVIOUS_SIGNING_KEY_FILE: string = '';

  @IsString()
  AUTH_PREVIOUS_SIGNING_KEY: string = '';

  @IsString()
  AUTH_NEXT_SIGNING_KEY_FILE: string = '';

  @IsString()
  AUTH_NEXT_SIGNING_KEY: string = '';

  /**
   * With no key configured: `true` generates one and keeps it in the database (local runs), `false` refuses
   * to start. Unset: generate unless NODE_ENV is `production`.
   */
  @IsIn(['', 'true', 'false'], { message: 'must be true or false' })
  AUTH_SIGNING_KEY_GENERATE: '' | 'true' | 'false' = '';

  @IsString()
  NODE_ENV: string = 'development';
}

export class RefreshTokenEnv {
  /** Lifetime of a refresh token, renewed by each rotation. 14 days. */
  @Transform(envInt)
  @IsInt()
  @Min(3_600)
  @Max(90 * 86_400)
  AUTH_REFRESH_TOKEN_TTL_S: number = 14 * 86_400;
}

/** The admin account created at start-up when both variables are set and the account does not exist. */
export class AdminBootstrapEnv {
  @ValidateIf((env: AdminBootstrapEnv) => isSet(env.AUTH_ADMIN_EMAIL))
  @IsEmail({}, { message: 'must be an e-mail address' })
  @MaxLength(254)
  AUTH_ADMIN_EMAIL: string = '';

  @ValidateIf((env: AdminBootstrapEnv) => isSet(env.AUTH_ADMIN_PASSWORD))
  @IsString()
  @Length(8, 128, { message: 'must be 8 to 128 characters' })
  AUTH_ADMIN_PASSWORD: string = '';

  /** The name the admin's profile starts with (in `user.registered`). */
  @IsString()
  @Length(1, 100)
  @Matches(/\S/, { message: 'must not be blank' })
  AUTH_ADMIN_NAME: string = 'Administrator';
}

/** Rates as `<limit>/<window>` (s, m or h), counted in the shared store, so they hold across replicas. */
export class AuthRateLimitEnv {
  @IsRate()
  AUTH_RATE_LIMIT_LOGIN_IP: string = '20/1m';

  @IsRate()
  AUTH_RATE_LIMIT_LOGIN_ACCOUNT: string = '10/15m';

  @IsRate()
  AUTH_RATE_LIMIT_REGISTER_IP: string = '20/1h';

  @IsRate()
  AUTH_RATE_LIMIT_REFRESH_IP: string = '60/1m';
}
