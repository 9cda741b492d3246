import { createTestApp, TestApp } from '@emporium/platform/test-app';
import { TestTokenIssuer } from '@emporium/platform/testing';
import request from 'supertest';

import { AppModule } from '../src/app/app.module';
import { USER_DATABASE, USER_SERVICE } from '../src/app/service';

interface ProblemBody {
  type: string;
  title: string;
  status: number;
  detail: string;
}

// The real app on its own migrated database, with a token issuer standing in for auth: mint tokens with
// `issuer.mint({ roles: ['admin'] })` for the routes this service adds.
let issuer: TestTokenIssuer;
let testApp: TestApp;
const http = () => request(testApp.server);

beforeAll(async () => {
  issuer = await TestTokenIssuer.start();
  testApp = await createTestApp({
    broker: true,
    module: AppModule,
    service: USER_SERVICE,
    database: USER_DATABASE,
    env: { ...issuer.env() },
  });
});

afterAll(async () => {
  await testApp?.close();
  await issuer?.stop();
});

describe('the platform around the user API', () => {
  it('reports live, and ready with its database up', async () => {
    await http().get('/health/live').expect(200);
    const ready = await http().get('/health/ready').expect(200);
    expect(ready.body).toMatchObject({ status: 'ok', info: { database: { status: 'up' } } });
  });

  it('serves Prometheus metrics', async () => {
    await http().get('/health/live').expect(200);
    const metrics = await http().get('/metrics').expect(200);
    expect(metrics.headers['content-type']).toMatch(/^text\/plain/);
    expect(metrics.text).toContain('http_requests_total');
  });

  it('serves its OpenAPI document', async () => {
    const openapi = await http().get('/api/docs-json').expect(200);
    expect(openapi.body).toMatchObject({
      openapi: expect.stringMatching(/^3\./),
      info: { title: 'Emporium user service', version: USER_SERVICE.version },
    });
    const paths = (openapi.body as { paths: Record<string, Record<string, unknown>> }).paths;
    expect(Object.keys(paths).sort()).toEqual([
      '/api/v1/users',
      '/api/v1/users/me',
      '/api/v1/users/me/addresses',
      '/api/v1/users/me/addresses/{id}',
      '/api/v1/users/{id}',
    ]);
    expect(Object.keys(paths['/api/v1/users/me']).sort()).toEqual(['get', 'patch']);
    expect(Object.keys(paths['/api/v1/users/me/addresses/{id}']).sort()).toEqual(['delete', 'get']);
  });

  it('answers unknown routes with a 404 problem', async () => {
    const response = await http().get('/api/v1/nothing-here').expect(404);
    expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
    const problem = response.body as ProblemBody;
    expect(problem).toMatchObject({ status: 404, type: expect.stringMatching(/^urn:emporium:problem:/) });
    expect(typeof problem.title).toBe('string');
    expect(typeof problem.detail).toBe('string');
  });

  it('echoes X-Request-Id, and generates one when none is sent', async () => {
    const echoed = await http().get('/health/live').set('X-Request-Id', 'req-user-e2e-1');
    expect(echoed.headers['x-request-id']).toBe('req-user-e2e-1');
    const generated = await http().get('/health/live');
    expect(generated.headers['x-request-id']).toEqual(expect.any(String));
  });
});
