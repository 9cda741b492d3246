import { normalizeIp } from '@nestjs/throttler';
import { Matches } from 'class-validator';

/** The parts of an HTTP request (Fastify's or Express's) that trackers read. */
export interface RateLimitRequest {
  /** The client address as the HTTP adapter derives it (Fastify: `trustProxy`, see the README). */
  ip?: string;
  /** The parsed body, before validation: anything the client sent. */
  body?: unknown;
  /** The verified caller, set by the access-token guard (which runs before route guards). */
  user?: { id?: unknown };
}

/**
 * Says whose budget a request draws on: an address, an account, a user id. `undefined` exempts the request
 * from the policy (e.g. a login body without an email, which validation refuses anyway). The value is
 * hashed before it is stored.
 */
export type RateLimitTracker = (request: RateLimitRequest) => string | undefined;

/** A named budget: at most `limit` requests per `windowMs` per tracked value. */
export interface RateLimitPolicy {
  /** Lower-case kebab name: `login-ip`. Also the `policy` label of the rejection metric. */
  name: string;
  limit: number;
  windowMs: number;
  /** How long a tracked value stays refused once it passed the limit; default `windowMs`. */
  blockMs?: number;
  tracker: RateLimitTracker;
}

export interface Rate {
  limit: number;
  windowMs: number;
}

/** `<limit>/<window>` with the window in seconds, minutes or hours: `20/1m`, `10/15m`, `100/1h`. */
export const RATE_PATTERN = /^([1-9]\d{0,5})\/([1-9]\d{0,4})(s|m|h)$/;
const UNIT_MS: Record<string, number> = { s: 1_000, m: 60_000, h: 3_600_000 };

/** Parses a rate such as `10/15m` (see RATE_PATTERN); throws on anything else. */
export function parseRate(rate: string): Rate {
  const match = RATE_PATTERN.exec(rate);
  if (!match) throw new Error(`Invalid rate "${rate}": expected <limit>/<window> such as 10/15m`);
  const [, limit, amount, unit] = match;
  return { limit: Number(limit), windowMs: Number(amount) * UNIT_MS[unit] };
}

/** class-validator rule for env variables holding a rate (see parseRate). */
export const IsRate = (): PropertyDecorator =>
  Matches(RATE_PATTERN, { message: 'must be <limit>/<window> with the window in s, m or h, e.g. 10/15m' });

/**
 * The client address, with IPv6 addresses grouped by their /64 (one subscriber's allocation, which an
 * attacker can otherwise rotate through for free) and IPv4-mapped IPv6 written as IPv4.
 */
export function byClientIp(ipv6SubnetPrefix = 64): RateLimitTracker {
  return (request) =>
    typeof request.ip === 'string' && request.ip !== ''
      ? normalizeIp(request.ip, ipv6SubnetPrefix)
      : undefined;
}

const MAX_TRACKED_FIELD_LENGTH = 1024;

/**
 * A string field of the JSON body, trimmed and lower-cased (for case-insensitive identifiers such as
 * e-mail addresses). Requests without a usable value are exempt: they fail validation before any work.
 */
export function byBodyField(field: string): RateLimitTracker {
  return (request) => {
    const body = request.body;
    if (typeof body !== 'object' || body === null || Array.isArray(body)) return undefined;
    const value: unknown = (body as Record<string, unknown>)[field];
    if (typeof value !== 'string') return undefined;
    const normalised = value.trim().toLowerCase();
    return normalised === '' || normalised.length > MAX_TRACKED_FIELD_LENGTH ? undefined : normalised;
  };
}

/** The authenticated caller's id; requests without a verified user are exempt. */
export function byUser(): RateLimitTracker {
  return (request) => (typeof request.user?.id === 'string' ? request.user.id : undefined);
}

const POLICY_NAME = /^[a-z][a-z0-9]*(-[a-z0-9]+)*$/;

/** Refuses a policy list that would misbehave at run time: bad names, duplicates, non-positive numbers. */
export function assertPolicies(policies: readonly RateLimitPolicy[]): void {
  const seen = new Set<string>();
  for (const policy of policies) {
    const where = `Rate-limit policy "${policy.name}"`;
    if (!POLICY_NAME.test(policy.name)) throw new Error(`${where}: the name must be lower-case kebab-case`);
    if (seen.has(policy.name)) throw new Error(`${where} is declared twice`);
    seen.add(policy.name);
    if (!Number.isInteger(policy.limit) || policy.limit < 1)
      throw new Error(`${where}: limit must be a positive integer`);
    if (!Number.isInteger(policy.windowMs) || policy.windowMs < 1_000)
      throw new Error(`${where}: windowMs must be an integer of at least 1000`);
    if (policy.blockMs !== undefined && (!Number.isInteger(policy.blockMs) || policy.blockMs < 1_000))
      throw new Error(`${where}: blockMs must be an integer of at least 1000`);
  }
}
