import { createServer, IncomingHttpHeaders, IncomingMessage, Server, ServerResponse } from 'node:http';
import { AddressInfo } from 'node:net';

export interface RecordedRequest {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
}

/** What the upstream does with a request: answer (after an optional delay), never answer, or drop it. */
export type Behaviour =
  | { status: number; body?: unknown; delayMs?: number; contentType?: string }
  | { hang: true }
  | { drop: true };

/**
 * A real HTTP server on loopback standing in for another service, whose behaviour a test changes at will
 * and which records every request it receives.
 */
export class FakeUpstream {
  readonly requests: RecordedRequest[] = [];
  behaviour: (request: RecordedRequest) => Behaviour = () => ({ status: 200, body: { ok: true } });
  private readonly hanging = new Set<ServerResponse>();

  private constructor(private readonly server: Server) {}

  static async start(behaviour?: (request: RecordedRequest) => Behaviour): Promise<FakeUpstream> {
    const upstream: FakeUpstream = new FakeUpstream(
      createServer((request, response) => void upstream.handle(request, response)),
    );
    if (behaviour) upstream.behaviour = behaviour;
    await new Promise<void>((resolve) => upstream.server.listen(0, '127.0.0.1', resolve));
    return upstream;
  }

  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  async close(): Promise<void> {
    for (const response of this.hanging) response.destroy();
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.server.closeAllConnections();
    await closed;
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const recorded: RecordedRequest = {
      method: request.method ?? 'GET',
      url: request.url ?? '/',
      headers: request.headers,
      body: Buffer.concat(chunks).toString('utf8'),
    };
    this.requests.push(recorded);
    const behaviour = this.behaviour(recorded);
    if ('hang' in behaviour) {
      this.hanging.add(response);
      response.on('close', () => this.hanging.delete(response));
      return;
    }
    if ('drop' in behaviour) {
      request.socket.destroy();
      return;
    }
    if (behaviour.delayMs) {
      this.hanging.add(response);
      await new Promise((resolve) => setTimeout(resolve, behaviour.delayMs));
      this.hanging.delete(response);
      if (response.destroyed) return;
    }
    const body = behaviour.body === undefined ? '' : JSON.stringify(behaviour.body);
    response.writeHead(behaviour.status, {
      'Content-Type':
        behaviour.contentType ?? (behaviour.status >= 400 ? 'application/problem+json' : 'application/json'),
      'Content-Length': Buffer.byteLength(body),
    });
    response.end(body);
  }
}

/** Polls `condition` until it holds; fails with `what` after `timeoutMs`. */
export async function waitFor(
  condition: () => boolean | Promise<boolean>,
  what: string,
  timeoutMs = 10_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await condition()) return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`Timed out waiting until ${what}`);
}
