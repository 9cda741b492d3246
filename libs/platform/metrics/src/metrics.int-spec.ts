import { randomUUID } from 'node:crypto';

import { ConfigModule, MetricsEnv } from '@emporium/platform/config';
import { Controller, Get, NotFoundException, Param, Post, RequestMethod } from '@nestjs/common';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { Test } from '@nestjs/testing';
import request from 'supertest';

import { MetricFamily, parseExposition, promtoolCheck } from '../test/prometheus-exposition';
import { MetricsModule } from './metrics.module';
import { MetricsService } from './metrics.service';

@Controller('products')
class ProductsController {
  @Get(':id')
  findOne(@Param('id') id: string): { id: string } {
    if (id === 'missing') throw new NotFoundException();
    return { id };
  }

  @Post()
  create(): { id: string } {
    return { id: randomUUID() };
  }
}

async function createApp(env: Record<string, string> = {}): Promise<NestFastifyApplication> {
  const moduleRef = await Test.createTestingModule({
    imports: [ConfigModule.forRoot({ schemas: [MetricsEnv], source: env }), MetricsModule.forRoot()],
    controllers: [ProductsController],
  }).compile();
  const app = moduleRef.createNestApplication<NestFastifyApplication>(new FastifyAdapter(), {
    logger: false,
  });
  // As the services do it: the API under /api/v1, operational routes at the root.
  app.setGlobalPrefix('api/v1', { exclude: [{ path: 'metrics', method: RequestMethod.GET }] });
  await app.init();
  await app.getHttpAdapter().getInstance().ready();
  return app;
}

function http(app: NestFastifyApplication): ReturnType<typeof request> {
  return request(app.getHttpAdapter().getInstance().server);
}

async function scrape(app: NestFastifyApplication): Promise<Map<string, MetricFamily>> {
  const response = await http(app).get('/metrics').expect(200);
  return parseExposition(response.text);
}

function samplesOf(families: Map<string, MetricFamily>, name: string): MetricFamily['samples'] {
  return families.get(name)?.samples ?? [];
}

describe('GET /metrics', () => {
  let sut: NestFastifyApplication;

  beforeEach(async () => {
    sut = await createApp();
  });

  afterEach(async () => {
    await sut.close();
  });

  it('answers the Prometheus text format with process metrics', async () => {
    const response = await http(sut).get('/metrics').expect(200);

    expect(response.headers['content-type']).toBe('text/plain; version=0.0.4; charset=utf-8');
    expect(response.headers['cache-control']).toBe('no-store');
    const families = parseExposition(response.text);
    for (const name of [
      'process_resident_memory_bytes',
      'process_cpu_seconds_total',
      'nodejs_heap_size_used_bytes',
      'nodejs_eventloop_lag_seconds',
    ]) {
      expect(samplesOf(families, name).length).toBeGreaterThan(0);
    }
  });

  it('passes promtool check metrics when promtool is installed', async () => {
    await http(sut).get('/api/v1/products/1').expect(200);
    const { text } = await http(sut).get('/metrics').expect(200);

    const lint = promtoolCheck(text);
    // Without promtool the strict parser above is the check (see scrape()).
    if (lint) expect(lint).toEqual({ status: 0, output: '' });
    expect(() => parseExposition(text)).not.toThrow();
  });

  it('counts a parameterised route under its template with the status code', async () => {
    await http(sut).get('/api/v1/products/42').expect(200);
    await http(sut).get('/api/v1/products/43').expect(200);
    await http(sut).get('/api/v1/products/missing').expect(404);
    await http(sut).post('/api/v1/products').expect(201);

    const families = await scrape(sut);

    const requests = samplesOf(families, 'http_requests_total').filter((s) => s.labels.route !== '/metrics');
    expect(requests).toEqual(
      expect.arrayContaining([
        {
          name: 'http_requests_total',
          labels: { method: 'GET', route: '/api/v1/products/:id', status_code: '200' },
          value: 2,
        },
        {
          name: 'http_requests_total',
          labels: { method: 'GET', route: '/api/v1/products/:id', status_code: '404' },
          value: 1,
        },
        {
          name: 'http_requests_total',
          labels: { method: 'POST', route: '/api/v1/products', status_code: '201' },
          value: 1,
        },
      ]),
    );
    expect(requests).toHaveLength(3);
    const count = samplesOf(families, 'http_request_duration_seconds').find(
      (s) =>
        s.name === 'http_request_duration_seconds_count' &&
        s.labels.route === '/api/v1/products/:id' &&
        s.labels.status_code === '200',
    );
    expect(count?.value).toBe(2);
  });

  it('files unknown paths under one UNMATCHED series, never the raw path', async () => {
    for (let i = 0; i < 50; i++) {
      await http(sut).get(`/probe/${randomUUID()}?q=${i}`).expect(404);
    }

    const families = await scrape(sut);

    const unmatched = samplesOf(families, 'http_requests_total').filter((s) => s.labels.route !== '/metrics');
    expect(unmatched).toEqual([
      {
        name: 'http_requests_total',
        labels: { method: 'GET', route: 'UNMATCHED', status_code: '404' },
        value: 50,
      },
    ]);
    const durationSeries = new Set(
      samplesOf(families, 'http_request_duration_seconds').map((s) => s.labels.route),
    );
    // A scrape is counted once it has been answered, so this first scrape is not in its own output.
    expect([...durationSeries]).toEqual(['UNMATCHED']);
  });

  it('keeps each app in its own registry', async () => {
    const other = await createApp();
    try {
      await http(other).get('/api/v1/products/1').expect(200);

      const families = await scrape(sut);

      expect(samplesOf(families, 'http_requests_total')).toEqual([]);
      expect(other.get(MetricsService).registry).not.toBe(sut.get(MetricsService).registry);
    } finally {
      await other.close();
    }
  });

  it('is left out of the OpenAPI document', () => {
    const document = SwaggerModule.createDocument(sut, new DocumentBuilder().build());

    expect(Object.keys(document.paths)).toEqual(['/api/v1/products/{id}', '/api/v1/products']);
  });
});

describe('GET /metrics with METRICS_ENABLED=false', () => {
  let sut: NestFastifyApplication;

  beforeEach(async () => {
    sut = await createApp({ METRICS_ENABLED: 'false' });
  });

  afterEach(async () => {
    await sut.close();
  });

  it('still answers but records no requests and no process metrics', async () => {
    await http(sut).get('/api/v1/products/42').expect(200);
    await http(sut).get('/nowhere').expect(404);
    await http(sut).get('/metrics').expect(200);

    const response = await http(sut).get('/metrics').expect(200);

    expect(response.headers['content-type']).toBe('text/plain; version=0.0.4; charset=utf-8');
    expect(response.text).not.toMatch(/^http_/m);
    expect(response.text).not.toMatch(/^(process|nodejs)_/m);
  });

  it('still serves business metrics', async () => {
    sut.get(MetricsService).counter({ name: 'orders_placed_total', help: 'Orders placed.' }).inc();

    const families = await scrape(sut);

    expect(samplesOf(families, 'orders_placed_total')).toEqual([
      { name: 'orders_placed_total', labels: {}, value: 1 },
    ]);
  });
});
