import { ProductCreated, ProductDeactivated, ProductUpdated } from './product/product.events';
import { UserRegistered } from './user/user.events';

/**
 * Every event type and the class its payload must validate against. Types are `<aggregate>.<past-tense
 * verb>`: an event states a fact that happened, which consumers may not refuse; commands are imperative.
 * Each class also names its `source`: the one service that publishes it, on `<source>.events`, which is
 * where consumers bind their queues.
 */
export const EVENT_PAYLOADS = {
  [ProductCreated.type]: ProductCreated,
  [ProductUpdated.type]: ProductUpdated,
  [ProductDeactivated.type]: ProductDeactivated,
  [UserRegistered.type]: UserRegistered,
} as const;

export type EventType = keyof typeof EVENT_PAYLOADS;
export type EventPayload<T extends EventType> = InstanceType<(typeof EVENT_PAYLOADS)[T]>;

export function isEventType(value: string): value is EventType {
  return Object.prototype.hasOwnProperty.call(EVENT_PAYLOADS, value);
}
