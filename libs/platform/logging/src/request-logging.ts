import { AsyncLocalStorage } from 'node:async_hooks';

import type { Logger as PinoInstance } from 'pino';

/** The request a log line was written in, kept for the whole async life of the request. */
interface RequestStore {
  requestId: string;
}

const requestContext = new AsyncLocalStorage<RequestStore>();

/** Request id of the request being served, for log lines and outgoing calls; undefined outside one. */
export function currentRequestId(): string | undefined {
  return requestContext.getStore()?.requestId;
}

/**
 * Runs work that is not an HTTP request (a broker message, a scheduled job) under a request id, so its log
 * lines and the messages it publishes carry the id of the request that started the chain.
 */
export function runWithRequestId<T>(requestId: string, work: () => T): T {
  return requestContext.run({ requestId }, work);
}

// The slice of Fastify this needs (the logging lib does not depend on the HTTP adapter).
interface RequestView {
  readonly id: string;
  readonly method: string;
  readonly url: string;
  readonly headers: Record<string, string | string[] | undefined>;
}
interface ReplyView {
  readonly statusCode: number;
  readonly elapsedTime: number;
}
type Done = (error?: Error) => void;
export interface RequestHooksTarget {
  addHook(name: 'onRequest', hook: (request: RequestView, reply: ReplyView, done: Done) => void): unknown;
  addHook(name: 'onResponse', hook: (request: RequestView, reply: ReplyView, done: Done) => void): unknown;
}

const QUIET_PATHS = ['/health/', '/metrics'];

/**
 * One JSON line per finished request, and the request id on every line logged while it is served. Done in
 * two Fastify hooks rather than pino-http middleware: pino-http builds a child logger per request (its
 * bindings serialised and redacted even when nothing is logged), which cost more than the rest of the
 * logging together on the hot path (bench/README.md).
 */
export function registerRequestLogging(fastify: RequestHooksTarget, logger: PinoInstance): void {
  fastify.addHook('onRequest', (request, _reply, done) => {
    requestContext.run({ requestId: request.id }, done);
  });
  fastify.addHook('onResponse', (request, reply, done) => {
    const status = reply.statusCode;
    const level = status >= 500 ? 'error' : status >= 400 ? 'warn' : 'info';
    if (logger.isLevelEnabled(level) && !QUIET_PATHS.some((path) => request.url.startsWith(path))) {
      logger[level](
        {
          requestId: request.id,
          req: { method: request.method, url: request.url, userAgent: request.headers['user-agent'] },
          res: { statusCode: status },
          responseTime: Math.round(reply.elapsedTime * 100) / 100,
        },
        'request completed',
      );
    }
    done();
  });
}
