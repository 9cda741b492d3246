import { ConfigModule, EnvClass, HttpEnv, LogEnv, MetricsEnv } from '@emporium/platform/config';
import { HealthModule } from '@emporium/platform/health';
import { LoggingModule } from '@emporium/platform/logging';
import { MetricsModule } from '@emporium/platform/metrics';
import { TracingModule } from '@emporium/platform/tracing';
import { DynamicModule, Module } from '@nestjs/common';

import { SERVICE_DESCRIPTOR, ServiceDescriptor } from './service-descriptor';

/** The config classes every service reads, before its own (ServiceDescriptor.env). */
export const PLATFORM_ENV: readonly EnvClass[] = [HttpEnv, LogEnv, MetricsEnv];

/**
 * Everything every service has, wired the same way: validated config, JSON logs, metrics, health.
 * An app imports this once, next to its own feature modules.
 */
@Module({})
export class PlatformModule {
  static forService(service: ServiceDescriptor): DynamicModule {
    return {
      module: PlatformModule,
      global: true,
      imports: [
        ConfigModule.forRoot({
          schemas: [...PLATFORM_ENV, ...service.env],
          defaults: { PORT: String(service.defaultPort) },
        }),
        LoggingModule.forRoot({ service: service.name, version: service.version }),
        MetricsModule.forRoot(),
        HealthModule.forRoot(),
        TracingModule.forRoot(),
      ],
      providers: [{ provide: SERVICE_DESCRIPTOR, useValue: service }],
      exports: [SERVICE_DESCRIPTOR],
    };
  }
}
