/**
 * Names of the broker objects, in one place so publishers, consumers, the relay and the dead-letter tool
 * agree (api.md, "Events"): `<service>.events` and `<service>.commands` topic exchanges owned by the
 * service, `<service>.<purpose>` consumer queues shared by every replica, their per-attempt retry queues
 * and their dead-letter queue.
 */
const NAME = /^[a-z][a-z0-9-]{0,62}$/;

function checked(kind: string, value: string): string {
  if (!NAME.test(value)) throw new Error(`Invalid ${kind} "${value}": lowercase letters, digits and dashes`);
  return value;
}

export const eventsExchange = (service: string): string => `${checked('service name', service)}.events`;
export const commandsExchange = (service: string): string => `${checked('service name', service)}.commands`;

export const consumerQueue = (service: string, purpose: string): string =>
  `${checked('service name', service)}.${checked('queue purpose', purpose)}`;

/**
 * Failed messages wait here for `delayMs`, then expire back into the consumer queue. The delay is in the
 * name because it is a queue argument: changing RMQ_RETRY_BASE_MS declares new queues instead of
 * clashing with the old ones (which empty themselves and can be deleted).
 */
export const retryQueue = (queue: string, delayMs: number): string => `${queue}.retry.${delayMs}ms`;

export const deadLetterQueue = (queue: string): string => `${queue}.dlq`;

export const isDeadLetterQueue = (name: string): boolean => name.endsWith('.dlq');

export const queueOfDeadLetterQueue = (dlq: string): string => {
  if (!isDeadLetterQueue(dlq))
    throw new Error(`"${dlq}" is not a dead-letter queue (<service>.<purpose>.dlq)`);
  return dlq.slice(0, -'.dlq'.length);
};

/** Exponential backoff: the wait after failed attempt n (1-based) is base * 2^(n-1). */
export const retryDelayMs = (baseMs: number, attempt: number): number => baseMs * 2 ** (attempt - 1);

/** Headers the lib sets on messages it moves between queues. */
export const HEADERS = {
  attempt: 'x-emporium-attempt',
  error: 'x-emporium-error',
  failedAt: 'x-emporium-failed-at',
  failedQueue: 'x-emporium-queue',
  reason: 'x-emporium-dead-letter-reason',
  requestId: 'x-request-id',
  traceparent: 'traceparent',
  tracestate: 'tracestate',
} as const;
