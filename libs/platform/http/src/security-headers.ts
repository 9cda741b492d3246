import type { IncomingMessage, ServerResponse } from 'node:http';

import helmet, { HelmetOptions } from 'helmet';

// An API answers JSON; the only HTML is Swagger UI, which loads its assets from 'self'.
const HELMET_OPTIONS: HelmetOptions = {
  contentSecurityPolicy: {
    directives: { defaultSrc: ["'self'"], imgSrc: ["'self'", 'data:'], scriptSrc: ["'self'"] },
  },
};

/**
 * helmet's response headers, computed once. The headers depend only on the options, never on the request,
 * yet `@fastify/helmet` runs helmet's middleware (and re-parses the CSP directives) on every response, which
 * cost ~9 µs of a ~100 µs request on the hot path (bench/README.md). helmet still decides what they are.
 */
export function securityHeaders(options: HelmetOptions = HELMET_OPTIONS): Record<string, string> {
  const headers: Record<string, string> = {};
  const response = {
    setHeader: (name: string, value: string) => {
      headers[name] = value;
    },
    removeHeader: (name: string) => {
      delete headers[name];
    },
  };
  let failure: unknown;
  helmet(options)({} as IncomingMessage, response as unknown as ServerResponse, (error?: unknown) => {
    failure = error;
  });
  if (failure) throw failure;
  return Object.freeze(headers) as Record<string, string>;
}
