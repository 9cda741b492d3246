import { DynamicModule, Module, Provider } from '@nestjs/common';

import { EnvClass, EnvSource, loadEnvs } from './load-env';

export interface ConfigModuleOptions {
  /** The config classes this app needs; each becomes injectable by its class. */
  schemas: readonly EnvClass[];
  /** Per-app defaults for unset variables, e.g. `{ PORT: '3003' }`. */
  defaults?: EnvSource;
  /** Where variables come from; process.env unless a test says otherwise. */
  source?: EnvSource;
}

export const CONFIG_VALUES = Symbol('CONFIG_VALUES');

/**
 * Validates every config class once, when the app is created, and provides each validated instance under
 * its own class, so code injects `PgEnv` instead of reading process.env.
 */
@Module({})
export class ConfigModule {
  static forRoot(options: ConfigModuleOptions): DynamicModule {
    const values: Provider = {
      provide: CONFIG_VALUES,
      useFactory: () => loadEnvs(options.schemas, options.source ?? process.env, options.defaults ?? {}),
    };
    const perClass: Provider[] = options.schemas.map((schema) => ({
      provide: schema,
      useFactory: (all: Map<EnvClass, object>) => all.get(schema),
      inject: [CONFIG_VALUES],
    }));
    return {
      module: ConfigModule,
      global: true,
      providers: [values, ...perClass],
      exports: options.schemas.map((schema) => schema as Provider),
    };
  }
}
