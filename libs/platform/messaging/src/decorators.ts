import type { EventPayload, EventType } from '@emporium/contracts';
import type { EntityManager } from 'typeorm';

import type { CloudEvent } from './envelope';

export const MESSAGE_CONSUMER = Symbol('emporium:message-consumer');
export const EVENT_HANDLERS = Symbol('emporium:event-handlers');

/** What a handler gets besides the event. */
export interface HandlerContext {
  /** The transaction the inbox row is written in: write every effect through it, or it is not atomic. */
  manager: EntityManager;
  /** 1 for the first delivery, then one more per retry. */
  attempt: number;
  /** The consumer queue, `<service>.<purpose>`. */
  queue: string;
}

export type EventHandlerMethod<T extends EventType> = (
  event: CloudEvent<EventPayload<T>>,
  context: HandlerContext,
) => Promise<void>;

export interface EventHandlerMetadata {
  type: EventType;
  method: string | symbol;
}

/**
 * Marks a provider as the consumer behind the queue `<service>.<purpose>`. Every replica of the service
 * shares that queue (competing consumers); another service binding the same events gets its own queue.
 * Consumers are providers, not controllers, so they never appear in the OpenAPI document.
 */
export function MessageConsumer(purpose: string): ClassDecorator {
  return (target) => {
    Reflect.defineMetadata(MESSAGE_CONSUMER, purpose, target);
  };
}

/**
 * Handles one event type on the class's queue. The method runs inside a database transaction that also
 * records the event id in the inbox; the message is acknowledged after that transaction commits. A
 * duplicate delivery is acknowledged without calling the method. Throwing rolls back and retries later.
 */
export function OnEvent<T extends EventType>(type: T) {
  return (
    target: object,
    method: string | symbol,
    _descriptor: TypedPropertyDescriptor<EventHandlerMethod<T>>,
  ): void => {
    const handlers = (Reflect.getMetadata(EVENT_HANDLERS, target.constructor) ??
      []) as EventHandlerMetadata[];
    Reflect.defineMetadata(EVENT_HANDLERS, [...handlers, { type, method }], target.constructor);
  };
}
