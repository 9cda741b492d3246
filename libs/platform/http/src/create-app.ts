import { HttpEnv, loadEnvs } from '@emporium/platform/config';
import { Logger, requestIdFor } from '@emporium/platform/logging';
import { RequestMethod, Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

import { registerRequestDeadlines } from './deadline';
import { PLATFORM_ENV } from './platform.module';
import { ProblemFilter, sendProblem } from './problem.filter';
import { securityHeaders } from './security-headers';
import { ServiceDescriptor } from './service-descriptor';
import { mountSwagger } from './swagger';
import { createValidationPipe } from './validation';

export const API_PREFIX = 'api/v1';

// Operational routes stay at fixed paths outside the versioned API.
const UNPREFIXED = [
  { path: 'health/live', method: RequestMethod.GET },
  { path: 'health/ready', method: RequestMethod.GET },
  { path: 'metrics', method: RequestMethod.GET },
  { path: '.well-known/jwks.json', method: RequestMethod.GET },
];

/**
 * Builds a service's Nest app on Fastify with everything every service shares: `/api/v1` prefix, strict
 * validation, RFC 9457 problems for every error, helmet, CORS, request ids, Swagger. Used by `main.ts`
 * (through bootstrapService) and by tests, so tests exercise exactly what production runs.
 */
export async function createServiceApp(
  module: Type<unknown>,
  service: ServiceDescriptor,
): Promise<NestFastifyApplication> {
  // Everything the service reads is validated here, together, so one start-up names every bad variable.
  const env = loadEnvs([...PLATFORM_ENV, ...service.env], process.env, { PORT: String(service.defaultPort) });
  const http = env.get(HttpEnv) as HttpEnv;
  const adapter = new FastifyAdapter({
    bodyLimit: http.HTTP_BODY_LIMIT,
    // Requests arriving on a keep-alive connection while the server closes get 503 instead of hanging.
    return503OnClosing: true,
    forceCloseConnections: 'idle',
    // Longer than the usual 60 s load-balancer idle timeout, so the balancer closes first.
    keepAliveTimeout: 65_000,
    requestTimeout: 30_000,
    routerOptions: { maxParamLength: 200 },
    // How many proxies in front may set X-Forwarded-For (request.ip, per-IP rate limits). 0 where the port
    // is published directly (compose, local runs): a client could otherwise pick its own address.
    trustProxy: http.HTTP_TRUSTED_PROXY_HOPS,
    requestIdHeader: false,
    genReqId: requestIdFor,
    onConstructorPoisoning: 'error',
    onProtoPoisoning: 'error',
    // Router-level failures (undecodable URL, over-long path parameter) never reach Nest's filters.
    frameworkErrors: (error: FastifyError, request: FastifyRequest, reply: FastifyReply) =>
      sendProblem(reply, request, error),
  });
  const app = await NestFactory.create<NestFastifyApplication>(module, adapter, {
    bufferLogs: true,
    abortOnError: false,
    // Fastify's own JSON parser (with prototype-poisoning protection) is the only body parser: no
    // urlencoded bodies, and anything not JSON is a 415.
    bodyParser: false,
  });
  app.useLogger(app.get(Logger));
  app.flushLogs();

  const fastify = app.getHttpAdapter().getInstance() as unknown as FastifyInstance;
  fastify.removeContentTypeParser('text/plain');
  const headers = securityHeaders();
  fastify.addHook('onRequest', (request, reply, done) => {
    void reply.headers(headers).header('X-Request-Id', request.id);
    done();
  });
  registerRequestDeadlines(fastify);
  // CORS only where origins are configured: an API called server-to-server needs no CORS hook per request.
  if (http.CORS_ORIGINS.length > 0) {
    app.enableCors({
      origin: http.CORS_ORIGINS,
      exposedHeaders: ['X-Request-Id', 'Retry-After', 'Location'],
      maxAge: 600,
    });
  }
  app.setGlobalPrefix(API_PREFIX, { exclude: UNPREFIXED });
  app.useGlobalPipes(createValidationPipe());
  app.useGlobalFilters(new ProblemFilter());
  mountSwagger(app, fastify, service);
  return app;
}
