import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

export const REQUEST_ID_HEADER = 'x-request-id';

// A caller-supplied id is reused only when it is short and plain, so it cannot inject into logs or headers.
const ACCEPTABLE_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/**
 * The id of an incoming request: a well-formed `X-Request-Id` from the caller, or a fresh UUID. Used as
 * Fastify's `genReqId`, so Fastify, pino-http and the problem filter all see the same id.
 */
export function requestIdFor(req: Pick<IncomingMessage, 'headers'>): string {
  const incoming = req.headers[REQUEST_ID_HEADER];
  return acceptableRequestId(incoming) ?? randomUUID();
}

/**
 * A request id received from elsewhere (a header, a message) if it is short and plain enough to log and
 * pass on, otherwise undefined.
 */
export function acceptableRequestId(value: unknown): string | undefined {
  return typeof value === 'string' && ACCEPTABLE_ID.test(value) ? value : undefined;
}
