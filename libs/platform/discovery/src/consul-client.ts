import { EventEmitter } from 'node:events';
import { types } from 'node:util';

import Consul from 'consul';

export type ConsulClient = Consul;

/** A Consul client for the agent at `url` (http or https; the port as written, 80/443 when omitted). */
export function createConsulClient(url: string, token?: string): ConsulClient {
  const parsed = new URL(url);
  const secure = parsed.protocol === 'https:';
  return new Consul({
    host: parsed.hostname,
    port: parsed.port ? Number(parsed.port) : secure ? 443 : 80,
    secure,
    ...(token ? { defaults: { token } } : {}),
  });
}

/**
 * The consul client (through papi) aborts a request when the `ctx` emitter passed with it emits `cancel`;
 * that is how its own Watch cancels a blocking query. Used here to cut calls short on shutdown.
 */
export class ConsulCallContext extends EventEmitter {
  cancel(): void {
    this.emit('cancel');
  }
}

/** Per-call options the client accepts beyond its typings (papi's `timeout` and `ctx`). */
export interface CallControl {
  timeout: number;
  ctx?: ConsulCallContext;
}

/** Whether the agent answered with an HTTP error (as opposed to not answering at all). */
export function agentStatusOf(error: unknown): number | undefined {
  const candidate = error as { isResponse?: boolean; statusCode?: unknown } | null;
  return candidate?.isResponse === true && typeof candidate.statusCode === 'number'
    ? candidate.statusCode
    : undefined;
}

/** A short reason for logs: the agent's status and message, or the network error's code. */
export function describeConsulError(error: unknown): string {
  const status = agentStatusOf(error);
  const message = error instanceof Error ? error.message : String(error);
  const code = (error as { code?: unknown } | null)?.code;
  if (status !== undefined) return `agent answered ${status}: ${message}`;
  return typeof code === 'string' ? `${code}: ${message}` : message;
}

/**
 * Awaits a consul client call and makes sure a failure rejects. papi (under the consul client) tells a
 * failure from a value with `instanceof Error`, which is false for errors made in another realm, such as
 * Node's own socket errors seen from inside Jest's module sandbox; it then resolves with the error.
 */
export async function settled<T>(call: Promise<T>): Promise<T> {
  const value = await call;
  if (types.isNativeError(value)) throw value;
  return value;
}
