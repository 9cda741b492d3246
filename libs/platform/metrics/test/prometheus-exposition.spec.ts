import { parseExposition } from './prometheus-exposition';

const VALID = `# HELP jobs_total Jobs done.
# TYPE jobs_total counter
jobs_total{queue="a\\"b"} 3
# HELP wait_seconds Wait.
# TYPE wait_seconds histogram
wait_seconds_bucket{le="0.1"} 1
wait_seconds_bucket{le="+Inf"} 2
wait_seconds_sum 0.35
wait_seconds_count 2
`;

describe(parseExposition.name, () => {
  it('reads families, labels and values', () => {
    const sut = parseExposition(VALID);

    expect(sut.get('jobs_total')).toEqual({
      name: 'jobs_total',
      type: 'counter',
      help: 'Jobs done.',
      samples: [{ name: 'jobs_total', labels: { queue: 'a"b' }, value: 3 }],
    });
    expect(sut.get('wait_seconds')?.samples).toHaveLength(4);
  });

  it.each([
    ['a missing final newline', VALID.trimEnd(), /newline/],
    ['a raw path label', VALID.replace('queue="a\\"b"', 'queue="a"b"'), /not a valid sample/],
    ['a sample before its TYPE', 'x 1\n# TYPE x gauge\n', /not in the family/],
    ['a duplicate series', '# TYPE x gauge\nx{a="1"} 1\nx{a="1"} 2\n', /duplicate series/],
    ['a split family', '# TYPE x gauge\nx 1\n# TYPE y gauge\ny 1\n# HELP x again\n', /split/],
    ['a bad metric name', '# TYPE 1x gauge\n', /malformed TYPE/],
    ['an unknown type', '# TYPE x meter\n', /malformed TYPE/],
    ['a histogram without +Inf', VALID.replace('wait_seconds_bucket{le="+Inf"} 2\n', ''), /\+Inf/],
    [
      'a +Inf bucket that is not _count',
      VALID.replace('wait_seconds_count 2', 'wait_seconds_count 3'),
      /_count/,
    ],
    ['non-cumulative buckets', VALID.replace('{le="0.1"} 1', '{le="0.1"} 5'), /cumulative/],
  ])('rejects %s', (_case, text, reason) => {
    expect(() => parseExposition(text)).toThrow(reason);
  });
});
