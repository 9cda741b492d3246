import { readFile } from 'node:fs/promises';
import { join } from 'node:path';

import { INestApplication } from '@nestjs/common';
import { DocumentBuilder, OpenAPIObject, SwaggerModule } from '@nestjs/swagger';
import type { FastifyInstance } from 'fastify';

import { ServiceDescriptor } from './service-descriptor';

export const DOCS_PATH = '/api/docs';
export const DOCS_JSON_PATH = '/api/docs-json';

// Swagger UI's own assets, served from swagger-ui-dist so the UI works offline and under a strict CSP
// (no inline script, no CDN). @nestjs/swagger's UI route would need @fastify/static, whose dependency chain
// Jest cannot load on Node 20 (docs/adr/0003-fastify-adapter.md).
const UI_ASSETS: Record<string, string> = {
  'swagger-ui.css': 'text/css; charset=utf-8',
  'swagger-ui-bundle.js': 'application/javascript; charset=utf-8',
  'swagger-ui-standalone-preset.js': 'application/javascript; charset=utf-8',
  'favicon-32x32.png': 'image/png',
};

const UI_PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>API documentation</title>
<link rel="stylesheet" href="${DOCS_PATH}/swagger-ui.css">
<link rel="icon" type="image/png" href="${DOCS_PATH}/favicon-32x32.png">
</head>
<body>
<div id="swagger-ui"></div>
<script src="${DOCS_PATH}/swagger-ui-bundle.js"></script>
<script src="${DOCS_PATH}/swagger-ui-standalone-preset.js"></script>
<script src="${DOCS_PATH}/initializer.js"></script>
</body>
</html>`;

const UI_INITIALIZER = `window.ui = SwaggerUIBundle({ url: '${DOCS_JSON_PATH}', dom_id: '#swagger-ui',
  presets: [SwaggerUIBundle.presets.apis, SwaggerUIStandalonePreset], layout: 'StandaloneLayout' });`;

export function buildOpenApiDocument(app: INestApplication, service: ServiceDescriptor): OpenAPIObject {
  const config = new DocumentBuilder()
    .setTitle(`Emporium ${service.name} service`)
    .setDescription(service.description)
    .setVersion(service.version)
    .addBearerAuth({ type: 'http', scheme: 'bearer', bearerFormat: 'JWT' })
    .build();
  return SwaggerModule.createDocument(app, config);
}

/** Serves the OpenAPI document at /api/docs-json and Swagger UI at /api/docs. */
export function mountSwagger(
  app: INestApplication,
  fastify: FastifyInstance,
  service: ServiceDescriptor,
): void {
  const document = buildOpenApiDocument(app, service);
  SwaggerModule.setup(DOCS_PATH, app, document, {
    useGlobalPrefix: false,
    swaggerUiEnabled: false,
    jsonDocumentUrl: DOCS_JSON_PATH,
    yamlDocumentUrl: `${DOCS_PATH}-yaml`,
  });
  // absolute-path.js only: the package's index also loads the 3 MB UI bundle into the server's heap.
  const assetRoot = (require('swagger-ui-dist/absolute-path.js') as () => string)();
  fastify.get(DOCS_PATH, async (_request, reply) => reply.type('text/html; charset=utf-8').send(UI_PAGE));
  fastify.get(`${DOCS_PATH}/initializer.js`, async (_request, reply) =>
    reply.type('application/javascript; charset=utf-8').send(UI_INITIALIZER),
  );
  fastify.get<{ Params: { asset: string } }>(`${DOCS_PATH}/:asset`, async (request, reply) => {
    const type = UI_ASSETS[request.params.asset];
    if (!type) return reply.callNotFound();
    const body = await readFile(join(assetRoot, request.params.asset));
    return reply.type(type).header('Cache-Control', 'public, max-age=86400').send(body);
  });
}
