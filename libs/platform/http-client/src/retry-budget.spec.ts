import { RetryBudget } from './retry-budget';

describe(RetryBudget.name, () => {
  const withdrawals = (sut: RetryBudget, n: number): number =>
    Array.from({ length: n }, () => sut.tryWithdraw()).filter(Boolean).length;

  it('allows the minimum per second over the window even without calls', () => {
    const sut = new RetryBudget(0, 1, 10_000, () => 0);
    expect(withdrawals(sut, 20)).toBe(10);
  });

  it('adds a share of the calls made in the window', () => {
    const sut = new RetryBudget(0.2, 0, 10_000, () => 0);
    for (let i = 0; i < 50; i++) sut.deposit();
    expect(withdrawals(sut, 20)).toBe(10);
  });

  it('forgets calls and retries once they leave the window', () => {
    let now = 0;
    const sut = new RetryBudget(0.5, 0, 10_000, () => now);
    for (let i = 0; i < 10; i++) sut.deposit();
    expect(withdrawals(sut, 10)).toBe(5);
    now = 9_999;
    expect(sut.tryWithdraw()).toBe(false);
    now = 10_000;
    expect(sut.tryWithdraw()).toBe(false);
    for (let i = 0; i < 4; i++) sut.deposit();
    expect(withdrawals(sut, 10)).toBe(2);
  });

  it('allows no retries with a zero budget', () => {
    const sut = new RetryBudget(0, 0);
    sut.deposit();
    expect(sut.tryWithdraw()).toBe(false);
  });
});
