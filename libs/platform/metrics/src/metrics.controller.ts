import { PublicRoute } from '@emporium/platform/health';
import { Controller, Get, Header } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { Registry } from 'prom-client';

import { MetricsService } from './metrics.service';

/** `GET /metrics` for Prometheus. Kept out of the API document and outside the `/api/v1` prefix. */
@ApiExcludeController()
@PublicRoute()
@Controller('metrics')
export class MetricsController {
  constructor(private readonly metrics: MetricsService) {}

  @Get()
  @Header('Content-Type', Registry.PROMETHEUS_CONTENT_TYPE)
  @Header('Cache-Control', 'no-store')
  scrape(): Promise<string> {
    return this.metrics.exposition();
  }
}
