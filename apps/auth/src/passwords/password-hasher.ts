import { randomBytes } from 'node:crypto';

import { DomainError } from '@emporium/platform/http';
import { MetricsService } from '@emporium/platform/metrics';
import { Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { Algorithm, hash, Options, parseOptions, verify, Version } from '@node-rs/argon2';
import type { Histogram } from 'prom-client';

import { PasswordHashingEnv } from '../config/auth-service.env';
import { ConcurrencyLimiter, ConcurrencyLimitExceeded } from './concurrency-limiter';

// @node-rs/argon2 declares these as `const enum`s, which per-file compilers (swc in Jest) cannot inline: the
// values are spelt out here, typed by the enums.
const ARGON2ID = 2 as Algorithm.Argon2id;
const VERSION_0X13 = 1 as Version.V0x13;
const OUTPUT_BYTES = 32;

export interface Argon2Parameters {
  memoryCost: number;
  timeCost: number;
  parallelism: number;
}

/**
 * True when a stored hash is weaker than the policy: another algorithm or version, less memory or fewer
 * passes, another parallelism or a shorter output. Parameters above the policy are left alone (lowering the
 * policy never downgrades a hash). Unparseable hashes need one too.
 */
export function needsRehash(stored: string, policy: Argon2Parameters): boolean {
  let parsed;
  try {
    parsed = parseOptions(stored);
  } catch {
    return true;
  }
  return (
    parsed.algorithm !== ARGON2ID ||
    parsed.version !== VERSION_0X13 ||
    parsed.memoryCost < policy.memoryCost ||
    parsed.timeCost < policy.timeCost ||
    parsed.parallelism !== policy.parallelism ||
    parsed.outputLen < OUTPUT_BYTES
  );
}

/**
 * Argon2id through @node-rs/argon2 (prebuilt N-API binaries, work on the libuv threadpool, never on the event
 * loop), behind a ConcurrencyLimiter. `verifyWithoutAccount` spends the same work on a dummy hash made at
 * start-up with the same parameters, so an unknown e-mail costs what a wrong password costs.
 */
@Injectable()
export class PasswordHasher implements OnModuleInit {
  private readonly logger = new Logger(PasswordHasher.name);
  private readonly options: Options;
  private readonly limiter: ConcurrencyLimiter;
  private readonly duration: Histogram<'operation'>;
  private dummyHash?: string;

  constructor(env: PasswordHashingEnv, metrics: MetricsService) {
    this.options = {
      algorithm: ARGON2ID,
      version: VERSION_0X13,
      memoryCost: env.AUTH_ARGON2_MEMORY_KIB,
      timeCost: env.AUTH_ARGON2_TIME_COST,
      parallelism: env.AUTH_ARGON2_PARALLELISM,
      outputLen: OUTPUT_BYTES,
    };
    this.limiter = new ConcurrencyLimiter(env.AUTH_HASH_CONCURRENCY, env.AUTH_HASH_QUEUE_MAX);
    this.duration = metrics.histogram({
      name: 'auth_password_hashing_duration_seconds',
      help: 'Time to hash or verify one password with argon2id, waiting for a slot included.',
      labelNames: ['operation'],
      buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    });
  }

  get parameters(): Argon2Parameters {
    return {
      memoryCost: this.options.memoryCost ?? 0,
      timeCost: this.options.timeCost ?? 0,
      parallelism: this.options.parallelism ?? 0,
    };
  }

  async onModuleInit(): Promise<void> {
    this.dummyHash = await this.hash(randomBytes(32).toString('base64url'));
  }

  /** A PHC string (`$argon2id$v=19$m=…,t=…,p=…$salt$hash`) with a fresh 16-byte salt. */
  hash(password: string): Promise<string> {
    return this.timed('hash', () => hash(password, this.options));
  }

  /** False for a wrong password and for a stored hash that cannot be read (logged: that is a data fault). */
  verify(stored: string, password: string): Promise<boolean> {
    return this.timed('verify', async () => {
      try {
        return await verify(stored, password);
      } catch {
        this.logger.error('A stored password hash could not be decoded');
        return false;
      }
    });
  }

  /** The cost of a verification, for a login whose e-mail matches no account; always false. */
  async verifyWithoutAccount(password: string): Promise<false> {
    if (this.dummyHash === undefined) throw new Error('PasswordHasher is not initialised');
    await this.verify(this.dummyHash, password);
    return false;
  }

  needsRehash(stored: string): boolean {
    return needsRehash(stored, this.parameters);
  }

  private async timed<T>(operation: 'hash' | 'verify', work: () => Promise<T>): Promise<T> {
    const stop = this.duration.startTimer({ operation });
    try {
      return await this.limiter.run(work);
    } catch (error) {
      // 503 with Retry-After: the client is fine, the service is saturated for a moment.
      if (error instanceof ConcurrencyLimitExceeded)
        throw new DomainError('AUTH_BUSY', 'unavailable', 'Too many sign-ins at once; retry shortly');
      throw error;
    } finally {
      stop();
    }
  }
}
