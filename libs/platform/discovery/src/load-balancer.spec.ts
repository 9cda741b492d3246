import { balancingWeights, LoadBalancer, LoadBalancerOptions } from './load-balancer';
import { ServiceInstance } from './service-discovery';

const instance = (id: string): ServiceInstance => ({
  id,
  service: 'product',
  baseUrl: `http://${id}:3003`,
  address: id,
  port: 3003,
  tags: [],
  meta: {},
});

const A = instance('a');
const B = instance('b');
const C = instance('c');

function balancer(overrides: Partial<LoadBalancerOptions> = {}, clock = { now: 0 }, randoms: number[] = []) {
  return new LoadBalancer({
    strategy: 'weighted',
    ejection: { consecutiveFailures: 3, baseEjectionMs: 1_000, maxEjectionMs: 5_000, maxEjectedRatio: 0.5 },
    random: () => randoms.shift() ?? 0,
    now: () => clock.now,
    ...overrides,
  });
}

/** Picks once per point of a uniform grid over [0, 1), so shares come out exactly as the weights say. */
function shares(sut: LoadBalancer, instances: readonly ServiceInstance[], randoms: number[], n = 1_000) {
  const counts = new Map<string, number>();
  for (let i = 0; i < n; i++) {
    randoms.push((i + 0.5) / n);
    const picked = sut.pick(instances) as ServiceInstance;
    counts.set(picked.id, (counts.get(picked.id) ?? 0) + 1);
  }
  return Object.fromEntries([...counts].map(([id, count]) => [id, count / n]));
}

describe(balancingWeights.name, () => {
  it('weighs by inverse latency and success rate', () => {
    expect(
      balancingWeights([
        { latencyMs: 10, successRate: 1 },
        { latencyMs: 40, successRate: 1 },
        { latencyMs: 10, successRate: 0.5 },
      ]),
    ).toEqual([0.1, 0.025, 0.05]);
  });

  it('gives an instance without answers yet the mean latency of the others', () => {
    expect(
      balancingWeights([
        { latencyMs: 10, successRate: 1 },
        { latencyMs: 30, successRate: 1 },
        { successRate: 1 },
      ]),
    ).toEqual([0.1, 1 / 30, 0.05]);
  });

  it('never lets an instance fall below a tenth of the best weight', () => {
    expect(
      balancingWeights([
        { latencyMs: 1, successRate: 1 },
        { latencyMs: 1_000, successRate: 0 },
      ]),
    ).toEqual([1, 0.1]);
  });
});

describe(LoadBalancer.name, () => {
  it('round robin takes each instance in turn', () => {
    const sut = balancer({ strategy: 'round-robin' });
    const picks = Array.from({ length: 6 }, () => sut.pick([A, B, C])?.id);
    expect(picks).toEqual(['b', 'c', 'a', 'b', 'c', 'a']);
  });

  it('weighted random sends traffic in proportion to the inverse of observed latency', () => {
    const randoms: number[] = [];
    const sut = balancer({}, { now: 0 }, randoms);
    sut.pick([A, B]);
    sut.recordSuccess('a', 10);
    sut.recordSuccess('b', 40);
    expect(shares(sut, [A, B], randoms)).toEqual({ a: 0.8, b: 0.2 });
  });

  it('shifts traffic away from an instance whose answers turn slow', () => {
    const randoms: number[] = [];
    const sut = balancer({}, { now: 0 }, randoms);
    sut.pick([A, B]);
    sut.recordSuccess('a', 10);
    sut.recordSuccess('b', 10);
    expect(shares(sut, [A, B], randoms)).toEqual({ a: 0.5, b: 0.5 });
    for (let i = 0; i < 10; i++) sut.recordSuccess('b', 100);
    expect(shares(sut, [A, B], randoms).a).toBeGreaterThan(0.85);
  });

  it('ejects an instance after consecutive failures and re-admits it when the time is up', () => {
    const clock = { now: 0 };
    const sut = balancer({ strategy: 'round-robin' }, clock);
    sut.pick([A, B, C]);
    for (let i = 0; i < 3; i++) sut.recordFailure('b');
    expect(sut.isEjected('b')).toBe(true);
    expect(new Set(Array.from({ length: 6 }, () => sut.pick([A, B, C])?.id))).toEqual(new Set(['a', 'c']));

    clock.now = 1_000;
    expect(sut.isEjected('b')).toBe(false);
    expect(Array.from({ length: 3 }, () => sut.pick([A, B, C])?.id)).toContain('b');
    expect(sut.statsFor('b')?.consecutiveFailures).toBe(0);
  });

  it('ejects a relapsing instance for longer each time, up to the maximum', () => {
    const clock = { now: 0 };
    const sut = balancer({}, clock);
    sut.pick([A, B, C]);
    const ejectFor = (): number => {
      for (let i = 0; i < 3; i++) sut.recordFailure('b');
      const until = sut.statsFor('b')?.ejectedUntil as number;
      const duration = until - clock.now;
      clock.now = until;
      return duration;
    };
    expect([ejectFor(), ejectFor(), ejectFor(), ejectFor(), ejectFor(), ejectFor()]).toEqual([
      1_000, 2_000, 3_000, 4_000, 5_000, 5_000,
    ]);
  });

  it('does not count failures separated by a success as consecutive', () => {
    const sut = balancer();
    sut.pick([A, B, C]);
    sut.recordFailure('b');
    sut.recordFailure('b');
    sut.recordSuccess('b', 5);
    sut.recordFailure('b');
    sut.recordFailure('b');
    expect(sut.isEjected('b')).toBe(false);
  });

  it('never ejects more than the allowed share of instances', () => {
    const sut = balancer();
    sut.pick([A, B, C]);
    for (const id of ['a', 'b', 'c']) for (let i = 0; i < 3; i++) sut.recordFailure(id);
    expect(sut.ejectedCount()).toBe(1);

    const single = balancer();
    single.pick([A]);
    for (let i = 0; i < 10; i++) single.recordFailure('a');
    expect(single.isEjected('a')).toBe(false);
  });

  it('does not eject when ejection is off', () => {
    const sut = balancer({
      ejection: { consecutiveFailures: 0, baseEjectionMs: 1, maxEjectionMs: 1, maxEjectedRatio: 1 },
    });
    sut.pick([A, B]);
    for (let i = 0; i < 10; i++) sut.recordFailure('a');
    expect(sut.isEjected('a')).toBe(false);
  });

  it('avoids instances this call already tried while another one is available', () => {
    const sut = balancer({ strategy: 'round-robin' });
    expect(Array.from({ length: 4 }, () => sut.pick([A, B], new Set(['a']))?.id)).toEqual([
      'b',
      'b',
      'b',
      'b',
    ]);
    expect(sut.pick([A, B], new Set(['a', 'b']))).toBeDefined();
    expect(sut.pick([A], new Set(['a']))).toBe(A);
  });

  it('still answers when discovery only has ejected instances left, and nothing for an empty set', () => {
    const sut = balancer();
    sut.pick([A, B]);
    for (let i = 0; i < 3; i++) sut.recordFailure('a');
    expect(sut.isEjected('a')).toBe(true);
    expect(sut.pick([A])).toBe(A);
    expect(sut.pick([])).toBeUndefined();
  });

  it('forgets instances that left the set', () => {
    const sut = balancer();
    sut.pick([A, B]);
    sut.recordSuccess('a', 5);
    sut.pick([B, C]);
    expect(sut.statsFor('a')).toBeUndefined();
  });
});
