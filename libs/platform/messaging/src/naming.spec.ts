import {
  commandsExchange,
  consumerQueue,
  deadLetterQueue,
  eventsExchange,
  queueOfDeadLetterQueue,
  retryDelayMs,
  retryQueue,
} from './naming';

describe('broker object names', () => {
  it('follows api.md: <service>.events, <service>.commands, <service>.<purpose>', () => {
    expect(eventsExchange('order')).toBe('order.events');
    expect(commandsExchange('inventory')).toBe('inventory.commands');
    expect(consumerQueue('user', 'profiles')).toBe('user.profiles');
    expect(deadLetterQueue('user.profiles')).toBe('user.profiles.dlq');
    expect(queueOfDeadLetterQueue('user.profiles.dlq')).toBe('user.profiles');
    expect(retryQueue('user.profiles', 4000)).toBe('user.profiles.retry.4000ms');
  });

  it('refuses names that would not be one topology object', () => {
    expect(() => consumerQueue('user', 'Profiles')).toThrow(/queue purpose/);
    expect(() => eventsExchange('order.events')).toThrow(/service name/);
    expect(() => queueOfDeadLetterQueue('user.profiles')).toThrow(/not a dead-letter queue/);
  });

  it('doubles the delay after each failed attempt', () => {
    expect([1, 2, 3, 4].map((attempt) => retryDelayMs(1000, attempt))).toEqual([1000, 2000, 4000, 8000]);
  });
});
