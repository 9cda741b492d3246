import { DynamicModule, Module } from '@nestjs/common';

import { HttpMetricsRecorder } from './http-metrics';
import { MetricsController } from './metrics.controller';
import { MetricsService } from './metrics.service';

/**
 * Prometheus metrics for a service: `GET /metrics`, process metrics, RED metrics of every HTTP request,
 * and MetricsService for business metrics. Needs `MetricsEnv` from ConfigModule (PlatformModule provides it).
 */
@Module({})
export class MetricsModule {
  static forRoot(): DynamicModule {
    return {
      module: MetricsModule,
      global: true,
      controllers: [MetricsController],
      providers: [MetricsService, HttpMetricsRecorder],
      exports: [MetricsService],
    };
  }
}
