import { randomUUID } from 'node:crypto';
import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import { AddressInfo } from 'node:net';

export type ConsulCheckStatus = 'passing' | 'warning' | 'critical';

export interface ConsulDoubleOptions {
  /** Port to listen on (loopback); 0 or unset picks a free one. */
  port?: number;
  /** When set, every request must carry it as `X-Consul-Token` (or `?token=`), as with ACLs enabled. */
  token?: string;
  /** How often critical services are reaped (DeregisterCriticalServiceAfter). Consul: 30 s. */
  reapIntervalMs?: number;
}

/** A request the double received, for assertions on how a client talks to Consul. */
export interface ConsulDoubleRequest {
  readonly method: string;
  readonly path: string;
  readonly query: URLSearchParams;
  readonly at: number;
}

/** A registered service instance with its checks, as the double holds it. */
export interface ConsulDoubleService {
  readonly id: string;
  readonly name: string;
  readonly address: string;
  readonly port: number;
  readonly tags: readonly string[];
  readonly meta: Readonly<Record<string, string>>;
  readonly checks: readonly { id: string; status: ConsulCheckStatus; output: string; type: 'ttl' | 'http' }[];
}

interface CheckState {
  readonly id: string;
  readonly name: string;
  readonly serviceId: string;
  readonly type: 'ttl' | 'http';
  readonly ttlMs?: number;
  readonly http?: string;
  readonly intervalMs?: number;
  readonly timeoutMs: number;
  readonly deregisterAfterMs?: number;
  status: ConsulCheckStatus;
  output: string;
  criticalSince?: number;
  timer?: NodeJS.Timeout;
  modifyIndex: number;
  createIndex: number;
}

interface ServiceState {
  readonly id: string;
  readonly name: string;
  readonly address: string;
  readonly port: number;
  readonly tags: string[];
  readonly meta: Record<string, string>;
  readonly checkIds: string[];
  readonly createIndex: number;
  modifyIndex: number;
}

class ConsulHttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

const NODE = { id: randomUUID(), name: 'consul-double', address: '127.0.0.1', datacenter: 'dc1' };
const DEFAULT_WAIT_MS = 5 * 60_000;
const MAX_WAIT_MS = 10 * 60_000;
const DEFAULT_CHECK_TIMEOUT_MS = 10_000;

/**
 * A stand-in for a Consul agent (with its server) for tests, speaking Consul's documented HTTP API for
 * exactly what `@emporium/platform/discovery` uses:
 *
 * - `PUT /v1/agent/service/register` (Name, ID, Tags, Address, Port, Meta, Check/Checks with TTL or
 *   HTTP + Interval, Timeout, DeregisterCriticalServiceAfter, Status), `PUT /v1/agent/service/deregister/:id`,
 *   `GET /v1/agent/services` (with `filter` limited to `ID == "…"` and `Service == "…"`);
 * - `PUT /v1/agent/check/pass|warn|fail/:check_id?note=` and `PUT /v1/agent/check/update/:check_id`
 *   (`{Status, Output}`) for TTL checks; a check that is not a TTL check answers 500 `CheckID "…" does not
 *   have associated TTL`, as Consul does;
 * - `GET /v1/health/service/:name` with `passing`, and blocking queries: `index` + `wait` (default 5 min,
 *   at most 10 min, plus up to wait/16 of jitter), `X-Consul-Index` on the answer;
 * - TTL checks turn critical when not updated within their TTL; HTTP checks are run every Interval
 *   (2xx passing, 429 warning, anything else critical); services critical for longer than
 *   DeregisterCriticalServiceAfter are reaped (without Consul's one-minute minimum, so tests stay short).
 *
 * It is not Consul: one node, one datacenter, no catalog or KV API, no raft. `stop()` / `listen()` make the
 * agent unreachable and reachable again with its state; `reset()` forgets everything, like a dev-mode agent
 * that restarted.
 */
export class ConsulDouble {
  readonly requests: ConsulDoubleRequest[] = [];
  private readonly services = new Map<string, ServiceState>();
  private readonly checks = new Map<string, CheckState>();
  /** Per service name: the index of its last change, what a health query's X-Consul-Index reports. */
  private readonly serviceIndexes = new Map<string, number>();
  private readonly waiters = new Set<() => void>();
  private readonly server: Server;
  private readonly reaper: NodeJS.Timeout;
  private index = 1;
  private boundPort = 0;

  private constructor(private readonly options: ConsulDoubleOptions) {
    this.server = createServer((request, response) => void this.handle(request, response));
    this.reaper = setInterval(() => this.reap(), options.reapIntervalMs ?? 1_000);
    this.reaper.unref();
  }

  static async start(options: ConsulDoubleOptions = {}): Promise<ConsulDouble> {
    const double = new ConsulDouble(options);
    await double.listen(options.port ?? 0);
    return double;
  }

  get port(): number {
    return this.boundPort;
  }

  /** The agent's base URL, e.g. for CONSUL_URL. */
  get url(): string {
    return `http://127.0.0.1:${this.boundPort}`;
  }

  get listening(): boolean {
    return this.server.listening;
  }

  /** Starts answering again (on the same port unless told otherwise), with the state it had. */
  async listen(port: number = this.boundPort): Promise<void> {
    if (this.server.listening) return;
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, '127.0.0.1', () => {
        this.server.off('error', reject);
        resolve();
      });
    });
    this.boundPort = (this.server.address() as AddressInfo).port;
  }

  /** Makes the agent unreachable: closes the listener and every open connection. State and timers remain. */
  async stop(): Promise<void> {
    if (!this.server.listening) return;
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.server.closeAllConnections();
    await closed;
  }

  /** Forgets every service and check, like a dev-mode agent that restarted; indexes start over. */
  reset(): void {
    for (const check of this.checks.values()) clearTimeout(check.timer);
    this.services.clear();
    this.checks.clear();
    this.serviceIndexes.clear();
    this.index = 1;
    this.wake();
  }

  async close(): Promise<void> {
    clearInterval(this.reaper);
    this.reset();
    await this.stop();
  }

  /** What is registered now. */
  registeredServices(): ConsulDoubleService[] {
    return [...this.services.values()].map((service) => ({
      id: service.id,
      name: service.name,
      address: service.address,
      port: service.port,
      tags: [...service.tags],
      meta: { ...service.meta },
      checks: service.checkIds.flatMap((id) => {
        const check = this.checks.get(id);
        return check ? [{ id, status: check.status, output: check.output, type: check.type }] : [];
      }),
    }));
  }

  /** Health queries received for `name`, for asserting that a client blocks instead of polling. */
  healthQueries(name: string): ConsulDoubleRequest[] {
    return this.requests.filter((request) => request.path === `/v1/health/service/${name}`);
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? '/', 'http://consul');
    const method = request.method ?? 'GET';
    this.requests.push({ method, path: url.pathname, query: url.searchParams, at: Date.now() });
    try {
      const body = await readBody(request);
      this.authorize(request, url);
      await this.route(method, url, body, request, response);
    } catch (error) {
      const status = error instanceof ConsulHttpError ? error.status : 500;
      const message = error instanceof Error ? error.message : String(error);
      if (!response.headersSent) response.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8' });
      response.end(message);
    }
  }

  private authorize(request: IncomingMessage, url: URL): void {
    if (this.options.token === undefined) return;
    const given = request.headers['x-consul-token'] ?? url.searchParams.get('token');
    if (given !== this.options.token) throw new ConsulHttpError(403, 'ACL not found');
  }

  private async route(
    method: string,
    url: URL,
    body: string,
    request: IncomingMessage,
    response: ServerResponse,
  ): Promise<void> {
    const path = url.pathname;
    let match: RegExpMatchArray | null;
    if (path === '/v1/agent/service/register') {
      requireMethod(method, 'PUT');
      this.register(parseJson(body));
      return sendEmpty(response);
    }
    if ((match = path.match(/^\/v1\/agent\/service\/deregister\/(.+)$/))) {
      requireMethod(method, 'PUT');
      this.deregister(decodeURIComponent(match[1]));
      return sendEmpty(response);
    }
    if (path === '/v1/agent/services') {
      requireMethod(method, 'GET');
      return sendJson(response, this.agentServices(url.searchParams.get('filter')));
    }
    if ((match = path.match(/^\/v1\/agent\/check\/(pass|warn|fail)\/(.+)$/))) {
      requireMethod(method, 'PUT');
      const status = ({ pass: 'passing', warn: 'warning', fail: 'critical' } as const)[
        match[1] as 'pass' | 'warn' | 'fail'
      ];
      this.updateTtl(decodeURIComponent(match[2]), status, url.searchParams.get('note') ?? '');
      return sendEmpty(response);
    }
    if ((match = path.match(/^\/v1\/agent\/check\/update\/(.+)$/))) {
      requireMethod(method, 'PUT');
      const update = parseJson(body);
      const status = update['Status'];
      if (status !== 'passing' && status !== 'warning' && status !== 'critical')
        throw new ConsulHttpError(400, 'Invalid check status');
      this.updateTtl(decodeURIComponent(match[1]), status, stringField(update, 'Output') ?? '');
      return sendEmpty(response);
    }
    if ((match = path.match(/^\/v1\/health\/service\/([^/]+)$/))) {
      requireMethod(method, 'GET');
      return this.healthService(decodeURIComponent(match[1]), url.searchParams, request, response);
    }
    throw new ConsulHttpError(404, `no handler for ${method} ${path}`);
  }

  private register(definition: Record<string, unknown>): void {
    const name = stringField(definition, 'Name');
    if (!name) throw new ConsulHttpError(400, 'Missing service name');
    const id = stringField(definition, 'ID') || name;
    const rawChecks = Array.isArray(definition['Checks'])
      ? (definition['Checks'] as unknown[])
      : definition['Check'] !== undefined
        ? [definition['Check']]
        : [];
    const checkDefinitions = rawChecks.map((raw, i) =>
      parseCheck(raw, id, name, rawChecks.length === 1 ? `service:${id}` : `service:${id}:${i + 1}`),
    );

    this.removeService(id);
    const index = this.bump(name);
    const service: ServiceState = {
      id,
      name,
      address: stringField(definition, 'Address') ?? '',
      port: typeof definition['Port'] === 'number' ? definition['Port'] : 0,
      tags: Array.isArray(definition['Tags']) ? (definition['Tags'] as unknown[]).map(String) : [],
      meta: isRecord(definition['Meta'])
        ? Object.fromEntries(Object.entries(definition['Meta']).map(([k, v]) => [k, String(v)]))
        : {},
      checkIds: checkDefinitions.map((check) => check.id),
      createIndex: index,
      modifyIndex: index,
    };
    this.services.set(id, service);
    for (const check of checkDefinitions) {
      const state: CheckState = { ...check, modifyIndex: index, createIndex: index };
      if (state.status === 'critical') state.criticalSince = Date.now();
      this.checks.set(state.id, state);
      this.schedule(state);
    }
    this.wake();
  }

  private deregister(id: string): void {
    const service = this.services.get(id);
    if (!service)
      throw new ConsulHttpError(
        404,
        `Unknown service ID "${id}". Ensure that the service ID is passed, not the service name.`,
      );
    this.removeService(id);
    this.bump(service.name);
    this.wake();
  }

  private removeService(id: string): void {
    const service = this.services.get(id);
    if (!service) return;
    for (const checkId of service.checkIds) {
      clearTimeout(this.checks.get(checkId)?.timer);
      this.checks.delete(checkId);
    }
    this.services.delete(id);
  }

  private updateTtl(checkId: string, status: ConsulCheckStatus, output: string): void {
    const check = this.checks.get(checkId);
    if (!check || check.type !== 'ttl')
      throw new ConsulHttpError(500, `CheckID "${checkId}" does not have associated TTL`);
    this.setStatus(check, status, output);
    this.schedule(check);
  }

  private setStatus(check: CheckState, status: ConsulCheckStatus, output: string): void {
    check.output = output;
    if (check.status === status) return;
    check.status = status;
    check.criticalSince = status === 'critical' ? Date.now() : undefined;
    const service = this.services.get(check.serviceId);
    if (!service) return;
    check.modifyIndex = this.bump(service.name);
    service.modifyIndex = check.modifyIndex;
    this.wake();
  }

  /** (Re)arms a check's timer: the TTL's expiry, or the next run of an HTTP check. */
  private schedule(check: CheckState): void {
    clearTimeout(check.timer);
    if (check.type === 'ttl' && check.ttlMs !== undefined) {
      check.timer = setTimeout(() => this.setStatus(check, 'critical', 'TTL expired'), check.ttlMs);
    } else if (check.type === 'http') {
      const delay = check.timer === undefined ? 0 : (check.intervalMs ?? 10_000);
      check.timer = setTimeout(() => void this.runHttpCheck(check), delay);
    }
    check.timer?.unref();
  }

  private async runHttpCheck(check: CheckState): Promise<void> {
    let status: ConsulCheckStatus;
    let output: string;
    try {
      const response = await fetch(check.http as string, { signal: AbortSignal.timeout(check.timeoutMs) });
      await response.arrayBuffer();
      status = response.ok ? 'passing' : response.status === 429 ? 'warning' : 'critical';
      output = `HTTP GET ${check.http}: ${response.status} ${response.statusText}`;
    } catch (error) {
      status = 'critical';
      output = `HTTP GET ${check.http}: ${error instanceof Error ? error.message : String(error)}`;
    }
    if (this.checks.get(check.id) !== check) return; // deregistered meanwhile
    this.setStatus(check, status, output);
    this.schedule(check);
  }

  private reap(): void {
    const now = Date.now();
    for (const check of [...this.checks.values()]) {
      if (
        check.deregisterAfterMs !== undefined &&
        check.criticalSince !== undefined &&
        now - check.criticalSince >= check.deregisterAfterMs
      ) {
        const service = this.services.get(check.serviceId);
        if (!service) continue;
        this.removeService(service.id);
        this.bump(service.name);
        this.wake();
      }
    }
  }

  /** Supports the filter forms `ID == "x"` and `Service == "x"` of Consul's filter language. */
  private agentServices(filter: string | null): Record<string, unknown> {
    let selected = [...this.services.values()];
    if (filter !== null) {
      const match = filter.match(/^\s*(ID|Service)\s*==\s*"([^"]*)"\s*$/);
      if (!match)
        throw new ConsulHttpError(
          400,
          `Failed to create boolean expression evaluator: the double supports only ID/Service equality, got ${filter}`,
        );
      selected = selected.filter((service) => (match[1] === 'ID' ? service.id : service.name) === match[2]);
    }
    return Object.fromEntries(
      selected.map((service) => [
        service.id,
        {
          ID: service.id,
          Service: service.name,
          Tags: service.tags,
          Meta: service.meta,
          Port: service.port,
          Address: service.address,
          Weights: { Passing: 1, Warning: 1 },
          EnableTagOverride: false,
          Datacenter: NODE.datacenter,
        },
      ]),
    );
  }

  private async healthService(
    name: string,
    query: URLSearchParams,
    request: IncomingMessage,
    response: ServerResponse,
  ): Promise<void> {
    const requested = query.has('index') ? Number(query.get('index')) : undefined;
    if (requested !== undefined && (!Number.isInteger(requested) || requested < 0))
      throw new ConsulHttpError(400, 'Invalid index');
    const wait = query.has('wait') ? parseDuration(query.get('wait') as string) : DEFAULT_WAIT_MS;
    if (wait === undefined) throw new ConsulHttpError(400, 'Invalid wait time');
    // Blocks while the service's index is still the one the caller has seen (a lower one means a reset).
    if (requested !== undefined && requested > 0 && this.indexOf(name) === requested) {
      const limit = Math.min(wait, MAX_WAIT_MS);
      await this.waitForChange(name, requested, limit + Math.random() * (limit / 16), request);
    }
    if (response.destroyed) return;
    const passingOnly = query.has('passing') && !['false', '0'].includes(query.get('passing') ?? '');
    const entries = [...this.services.values()]
      .filter((service) => service.name === name)
      .map((service) => this.healthEntry(service))
      .filter((entry) => !passingOnly || entry.Checks.every((check) => check.Status === 'passing'));
    sendJson(response, entries, {
      'X-Consul-Index': String(this.indexOf(name)),
      'X-Consul-KnownLeader': 'true',
      'X-Consul-LastContact': '0',
    });
  }

  private healthEntry(service: ServiceState) {
    const serviceChecks = service.checkIds.flatMap((id) => {
      const check = this.checks.get(id);
      return check
        ? [
            {
              Node: NODE.name,
              CheckID: check.id,
              Name: check.name,
              Status: check.status,
              Notes: '',
              Output: check.output,
              ServiceID: service.id,
              ServiceName: service.name,
              ServiceTags: service.tags,
              Type: check.type,
              CreateIndex: check.createIndex,
              ModifyIndex: check.modifyIndex,
            },
          ]
        : [];
    });
    return {
      Node: {
        ID: NODE.id,
        Node: NODE.name,
        Address: NODE.address,
        Datacenter: NODE.datacenter,
        TaggedAddresses: { lan: NODE.address, wan: NODE.address },
        Meta: {},
      },
      Service: {
        ID: service.id,
        Service: service.name,
        Tags: service.tags,
        Address: service.address,
        Meta: service.meta,
        Port: service.port,
        Weights: { Passing: 1, Warning: 1 },
        EnableTagOverride: false,
        CreateIndex: service.createIndex,
        ModifyIndex: service.modifyIndex,
      },
      Checks: [
        {
          Node: NODE.name,
          CheckID: 'serfHealth',
          Name: 'Serf Health Status',
          Status: 'passing' as ConsulCheckStatus,
          Notes: '',
          Output: 'Agent alive and reachable',
          ServiceID: '',
          ServiceName: '',
          ServiceTags: [] as string[],
          Type: '',
          CreateIndex: 1,
          ModifyIndex: 1,
        },
        ...serviceChecks,
      ],
    };
  }

  private indexOf(name: string): number {
    return this.serviceIndexes.get(name) ?? 1;
  }

  private bump(name: string): number {
    this.index += 1;
    this.serviceIndexes.set(name, this.index);
    return this.index;
  }

  private wake(): void {
    for (const waiter of [...this.waiters]) waiter();
  }

  private waitForChange(name: string, seen: number, ms: number, request: IncomingMessage): Promise<void> {
    return new Promise((resolve) => {
      const finish = (): void => {
        clearTimeout(timer);
        this.waiters.delete(check);
        request.socket.off('close', finish);
        resolve();
      };
      const check = (): void => {
        if (this.indexOf(name) !== seen) finish();
      };
      const timer = setTimeout(finish, ms);
      timer.unref();
      this.waiters.add(check);
      request.socket.once('close', finish);
    });
  }
}

function parseCheck(
  raw: unknown,
  serviceId: string,
  serviceName: string,
  defaultId: string,
): Omit<CheckState, 'modifyIndex' | 'createIndex'> {
  if (!isRecord(raw)) throw new ConsulHttpError(400, 'Invalid check definition');
  const ttl = optionalDuration(raw, 'TTL');
  const http = stringField(raw, 'HTTP');
  const interval = optionalDuration(raw, 'Interval');
  const status = stringField(raw, 'Status') ?? 'critical';
  if (status !== 'passing' && status !== 'warning' && status !== 'critical')
    throw new ConsulHttpError(400, `Invalid check status "${status}"`);
  const base = {
    id: stringField(raw, 'CheckID') || stringField(raw, 'ID') || defaultId,
    name: stringField(raw, 'Name') || `Service '${serviceName}' check`,
    serviceId,
    timeoutMs: optionalDuration(raw, 'Timeout') ?? DEFAULT_CHECK_TIMEOUT_MS,
    deregisterAfterMs: optionalDuration(raw, 'DeregisterCriticalServiceAfter'),
    status: status as ConsulCheckStatus,
    output: '',
  };
  if (ttl !== undefined && ttl > 0) return { ...base, type: 'ttl', ttlMs: ttl };
  if (http && interval !== undefined && interval > 0) {
    return { ...base, type: 'http', http, intervalMs: interval };
  }
  throw new ConsulHttpError(400, 'Invalid check: TTL must be > 0 for TTL checks, or HTTP with an Interval');
}

function optionalDuration(record: Record<string, unknown>, field: string): number | undefined {
  const value = record[field];
  if (value === undefined || value === '') return undefined;
  const parsed = typeof value === 'string' ? parseDuration(value) : undefined;
  if (parsed === undefined) throw new ConsulHttpError(400, `Invalid ${field}: ${String(value)}`);
  return parsed;
}

const UNIT_MS: Record<string, number> = {
  ns: 1e-6,
  us: 1e-3,
  µs: 1e-3,
  ms: 1,
  s: 1_000,
  m: 60_000,
  h: 3_600_000,
};

/** Go's time.ParseDuration for the single-unit forms Consul clients send ("250ms", "10s", "1.5m"). */
function parseDuration(value: string): number | undefined {
  const match = value.match(/^(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)$/);
  if (!match) return value === '0' ? 0 : undefined;
  return Number(match[1]) * UNIT_MS[match[2]];
}

function requireMethod(actual: string, expected: string): void {
  if (actual !== expected) throw new ConsulHttpError(405, `method ${actual} not allowed`);
}

function readBody(request: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    request.on('error', reject);
  });
}

function parseJson(body: string): Record<string, unknown> {
  try {
    const parsed: unknown = JSON.parse(body);
    if (isRecord(parsed)) return parsed;
  } catch {
    // fall through
  }
  throw new ConsulHttpError(400, 'Request decode failed: invalid JSON body');
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function stringField(record: Record<string, unknown>, field: string): string | undefined {
  const value = record[field];
  return typeof value === 'string' ? value : undefined;
}

function sendEmpty(response: ServerResponse): void {
  response.writeHead(200, { 'Content-Length': '0' });
  response.end();
}

function sendJson(response: ServerResponse, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  response.writeHead(200, {
    'Content-Type': 'application/json',
    'Content-Length': Buffer.byteLength(text),
    ...headers,
  });
  response.end(text);
}
