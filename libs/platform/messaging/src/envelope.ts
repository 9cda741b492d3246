import { randomUUID } from 'node:crypto';

import { EVENT_PAYLOADS, EventPayload, EventType, isEventType } from '@emporium/contracts';
import { plainToInstance } from 'class-transformer';
import { validateSync, ValidationError } from 'class-validator';

/** CloudEvents 1.0, structured JSON mode (api.md, "Events"), with the trace and request id as extensions. */
export interface CloudEvent<T = unknown> {
  specversion: '1.0';
  /** Unique per event; consumers de-duplicate on it. */
  id: string;
  /** The publishing service. */
  source: string;
  type: string;
  time: string;
  /** The aggregate the event is about; the relay keeps per-subject order. */
  subject: string;
  datacontenttype: 'application/json';
  /** W3C trace context of the work that caused the event. */
  traceparent?: string;
  tracestate?: string;
  /** X-Request-Id of the request that caused the event (extension names are lowercase alphanumeric). */
  requestid?: string;
  data: T;
}

/** What a publisher hands to the outbox: the type, the aggregate it is about, and the typed payload. */
export interface OutgoingEvent<T extends EventType = EventType> {
  type: T;
  subject: string;
  data: EventPayload<T>;
}

export const CLOUDEVENTS_CONTENT_TYPE = 'application/cloudevents+json';

export interface EnvelopeContext {
  source: string;
  traceparent?: string;
  tracestate?: string;
  requestId?: string;
  now?: Date;
}

/** Thrown when a payload does not satisfy its contract; publishing it would poison every consumer. */
export class InvalidEventError extends Error {
  constructor(
    readonly type: string,
    readonly problems: string[],
  ) {
    super(`Invalid ${type} event: ${problems.join('; ')}`);
    this.name = 'InvalidEventError';
  }
}

type PayloadClass = (new () => object) & { readonly type: string; readonly source: string };

/** The contract class of a type, or undefined for a type the contracts do not know. */
export function payloadClassOf(type: string): PayloadClass | undefined {
  return isEventType(type) ? (EVENT_PAYLOADS[type] as PayloadClass) : undefined;
}

function describe(errors: ValidationError[], prefix = ''): string[] {
  return errors.flatMap((error) => {
    const field = prefix ? `${prefix}.${error.property}` : error.property;
    const own = Object.values(error.constraints ?? {}).map((message) => `${field}: ${message}`);
    return [...own, ...describe(error.children ?? [], field)];
  });
}

/**
 * Validates `data` against the type's contract class. Unknown properties are stripped rather than refused,
 * so a producer may add a field without breaking consumers that do not know it yet (tolerant reader).
 */
export function validatePayload<T extends EventType>(type: T, data: unknown): EventPayload<T> {
  const payloadClass = payloadClassOf(type);
  if (!payloadClass) throw new InvalidEventError(type, ['unknown event type']);
  if (typeof data !== 'object' || data === null || Array.isArray(data))
    throw new InvalidEventError(type, ['data must be a JSON object']);
  const instance = plainToInstance(payloadClass, data);
  const errors = validateSync(instance, { whitelist: true, forbidUnknownValues: true });
  if (errors.length > 0) throw new InvalidEventError(type, describe(errors));
  return instance as EventPayload<T>;
}

/** A new envelope for an outgoing event; the payload is validated first. */
export function createEnvelope<T extends EventType>(
  event: OutgoingEvent<T>,
  context: EnvelopeContext,
): CloudEvent<EventPayload<T>> {
  if (typeof event.subject !== 'string' || event.subject.length === 0 || event.subject.length > 200)
    throw new InvalidEventError(event.type, ['subject must be the aggregate id (1-200 characters)']);
  const data = validatePayload(event.type, event.data);
  const owner = payloadClassOf(event.type)?.source;
  if (owner !== context.source)
    throw new InvalidEventError(event.type, [
      `only ${owner ?? 'its owner'} publishes it, not ${context.source}`,
    ]);
  return {
    specversion: '1.0',
    id: randomUUID(),
    source: context.source,
    type: event.type,
    time: (context.now ?? new Date()).toISOString(),
    subject: event.subject,
    datacontenttype: 'application/json',
    ...(context.traceparent ? { traceparent: context.traceparent } : {}),
    ...(context.tracestate ? { tracestate: context.tracestate } : {}),
    ...(context.requestId ? { requestid: context.requestId } : {}),
    data: { ...data },
  };
}

export type ParsedEnvelope =
  | { ok: true; event: CloudEvent<unknown> }
  | { ok: false; reason: 'malformed' | 'unknown_type' | 'invalid_payload'; detail: string };

const isNonEmptyString = (value: unknown, max = 500): value is string =>
  typeof value === 'string' && value.length > 0 && value.length <= max;

/**
 * Reads an incoming message body: structured CloudEvents JSON whose type is in the contracts and whose
 * data satisfies its class. Never throws; a failure says why, for the dead-letter headers.
 */
export function parseEnvelope(body: Buffer): ParsedEnvelope {
  let raw: unknown;
  try {
    raw = JSON.parse(body.toString('utf8'));
  } catch {
    return { ok: false, reason: 'malformed', detail: 'body is not JSON' };
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw))
    return { ok: false, reason: 'malformed', detail: 'body is not a JSON object' };
  const envelope = raw as Record<string, unknown>;
  if (envelope.specversion !== '1.0')
    return { ok: false, reason: 'malformed', detail: 'specversion must be "1.0"' };
  for (const field of ['id', 'source', 'type', 'time', 'subject'] as const)
    if (!isNonEmptyString(envelope[field]))
      return { ok: false, reason: 'malformed', detail: `${field} must be a non-empty string` };
  const type = envelope.type as string;
  if (!isEventType(type)) return { ok: false, reason: 'unknown_type', detail: `unknown event type ${type}` };
  try {
    const data = validatePayload(type, envelope.data);
    return { ok: true, event: { ...(envelope as unknown as CloudEvent<unknown>), data } };
  } catch (error) {
    const detail = error instanceof InvalidEventError ? error.problems.join('; ') : String(error);
    return { ok: false, reason: 'invalid_payload', detail };
  }
}
