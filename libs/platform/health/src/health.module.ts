import { DynamicModule, Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';

import { HealthController } from './health.controller';
import { LifecycleState, ReadinessRegistry } from './readiness.registry';

/** `/health/live` and `/health/ready` (Terminus format); other libs add readiness checks via ReadinessRegistry. */
@Module({})
export class HealthModule {
  static forRoot(): DynamicModule {
    return {
      module: HealthModule,
      global: true,
      imports: [TerminusModule.forRoot({ errorLogStyle: 'json' })],
      controllers: [HealthController],
      providers: [ReadinessRegistry, LifecycleState],
      exports: [ReadinessRegistry, LifecycleState],
    };
  }
}
