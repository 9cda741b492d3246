import { MetricsEnv } from '@emporium/platform/config';

import { HttpMetrics, OTHER_METHOD, UNMATCHED_ROUTE } from './http-metrics';
import { MetricsService } from './metrics.service';

describe(HttpMetrics.name, () => {
  let metrics: MetricsService;
  let sut: HttpMetrics;

  beforeEach(() => {
    metrics = new MetricsService(Object.assign(new MetricsEnv(), { METRICS_ENABLED: true }));
    sut = new HttpMetrics(metrics);
  });

  async function requestSeries(): Promise<{ labels: Record<string, unknown>; value: number }[]> {
    const { values } = await sut.requests.get();
    return values.map(({ labels, value }) => ({ labels, value }));
  }

  it('counts requests and observes their duration under method, route template and status', async () => {
    sut.record('GET', '/api/v1/products/:id', 200, 0.012);
    sut.record('GET', '/api/v1/products/:id', 200, 0.3);

    await expect(requestSeries()).resolves.toEqual([
      { labels: { method: 'GET', route: '/api/v1/products/:id', status_code: '200' }, value: 2 },
    ]);
    const duration = await sut.duration.get();
    const count = duration.values.find((v) => v.metricName === 'http_request_duration_seconds_count');
    const sum = duration.values.find((v) => v.metricName === 'http_request_duration_seconds_sum');
    expect(count?.value).toBe(2);
    expect(sum?.value).toBeCloseTo(0.312);
  });

  it('files requests that matched no route under UNMATCHED', async () => {
    sut.record('GET', undefined, 404, 0.001);

    await expect(requestSeries()).resolves.toEqual([
      { labels: { method: 'GET', route: UNMATCHED_ROUTE, status_code: '404' }, value: 1 },
    ]);
  });

  it('files non-standard methods under OTHER', async () => {
    sut.record('PROPFIND', undefined, 404, 0.001);
    sut.record('MKCOL', undefined, 404, 0.001);

    await expect(requestSeries()).resolves.toEqual([
      { labels: { method: OTHER_METHOD, route: UNMATCHED_ROUTE, status_code: '404' }, value: 2 },
    ]);
  });

  it('uses buckets from 5 ms to 10 s', async () => {
    sut.record('GET', '/x', 200, 0.004);

    const { values } = await sut.duration.get();
    const bounds = values
      .filter((v) => v.metricName?.endsWith('_bucket'))
      .map((v) => (v.labels as { le?: unknown }).le);
    expect(bounds[0]).toBe(0.005);
    expect(bounds.at(-2)).toBe(10);
    expect(bounds.at(-1)).toBe('+Inf');
  });
});
