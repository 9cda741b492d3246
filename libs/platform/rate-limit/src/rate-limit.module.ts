import { createHash } from 'node:crypto';

import { pgPoolOf } from '@emporium/platform/database';
import {
  DynamicModule,
  InjectionToken,
  Module,
  ModuleMetadata,
  OnModuleDestroy,
  OptionalFactoryDependency,
} from '@nestjs/common';
import { getOptionsToken, getStorageToken, ThrottlerModuleOptions } from '@nestjs/throttler';
import { DataSource } from 'typeorm';

import { PostgresThrottlerStorage } from './postgres-throttler-storage';
import { RATE_LIMIT_OPTIONS } from './rate-limit.constants';
import { RateLimitGuard } from './rate-limit.guard';
import { assertPolicies, RateLimitPolicy } from './rate-limit-policy';

export interface RateLimitModuleOptions {
  policies: RateLimitPolicy[];
  /** How often each replica deletes expired rows (ms); default 60 s, 0 turns the sweep off. */
  sweepIntervalMs?: number;
}

export interface RateLimitModuleAsyncOptions extends Pick<ModuleMetadata, 'imports'> {
  inject?: (InjectionToken | OptionalFactoryDependency)[];
  /** Called with the providers `inject` lists, in that order. */
  useFactory: (...args: never[]) => RateLimitModuleOptions | Promise<RateLimitModuleOptions>;
}

/** The store key of a tracked value: hashed, so the table holds no e-mail address or IP in clear. */
export function rateLimitKey(policy: string, tracker: string): string {
  return createHash('sha256').update(`${policy}\n${tracker}`).digest('hex');
}

function throttlerOptions(options: RateLimitModuleOptions): ThrottlerModuleOptions {
  return {
    throttlers: options.policies.map((policy) => ({
      name: policy.name,
      limit: policy.limit,
      ttl: policy.windowMs,
      blockDuration: policy.blockMs ?? policy.windowMs,
    })),
    // Retry-After is set by RateLimitGuard; the per-policy X-RateLimit-* headers would only leak the policies.
    setHeaders: false,
    generateKey: (_context, tracker, policy) => rateLimitKey(policy, tracker),
  };
}

function schemaOf(dataSource: DataSource): string {
  const schema = (dataSource.options as { schema?: string }).schema;
  if (!schema) throw new Error('RateLimitModule needs the service data source to name its schema');
  return schema;
}

/**
 * Rate limits shared by every replica of a service: @nestjs/throttler's guard on a PostgreSQL store in the
 * service's own schema (its table comes from CreateRateLimitTable…, which the service lists among its
 * migrations). Needs DatabaseModule (the DataSource) and the platform's MetricsService. Routes opt in with
 * @RateLimit('<policy>', …).
 */
@Module({})
export class RateLimitModule implements OnModuleDestroy {
  constructor(private readonly storage: PostgresThrottlerStorage) {}

  static forRoot(options: RateLimitModuleOptions): DynamicModule {
    return RateLimitModule.forRootAsync({ useFactory: () => options });
  }

  static forRootAsync(options: RateLimitModuleAsyncOptions): DynamicModule {
    return {
      module: RateLimitModule,
      global: true,
      imports: options.imports ?? [],
      providers: [
        {
          provide: RATE_LIMIT_OPTIONS,
          useFactory: async (...args: unknown[]) => {
            const resolved = await options.useFactory(...(args as never[]));
            assertPolicies(resolved.policies);
            return resolved;
          },
          inject: options.inject ?? [],
        },
        {
          provide: PostgresThrottlerStorage,
          useFactory: (dataSource: DataSource, resolved: RateLimitModuleOptions) =>
            new PostgresThrottlerStorage(pgPoolOf(dataSource), {
              schema: schemaOf(dataSource),
              sweepIntervalMs: resolved.sweepIntervalMs,
            }),
          inject: [DataSource, RATE_LIMIT_OPTIONS],
        },
        { provide: getStorageToken(), useExisting: PostgresThrottlerStorage },
        { provide: getOptionsToken(), useFactory: throttlerOptions, inject: [RATE_LIMIT_OPTIONS] },
        RateLimitGuard,
      ],
      exports: [
        RATE_LIMIT_OPTIONS,
        PostgresThrottlerStorage,
        getStorageToken(),
        getOptionsToken(),
        RateLimitGuard,
      ],
    };
  }

  async onModuleDestroy(): Promise<void> {
    await this.storage.close();
  }
}
