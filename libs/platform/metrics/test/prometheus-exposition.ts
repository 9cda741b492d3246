import { spawnSync } from 'node:child_process';

export type MetricType = 'counter' | 'gauge' | 'histogram' | 'summary' | 'untyped';

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface MetricFamily {
  name: string;
  type: MetricType;
  help: string;
  samples: Sample[];
}

const METRIC_NAME = '[a-zA-Z_:][a-zA-Z0-9_:]*';
const LABEL_NAME = '[a-zA-Z_][a-zA-Z0-9_]*';
// A label value: any characters but a bare quote, backslash or newline; those three must be escaped.
const LABEL_VALUE = '"(?:[^"\\\\\\n]|\\\\[\\\\"n])*"';
const LABEL_PAIR = `${LABEL_NAME}=${LABEL_VALUE}`;
// NaN in any case: Prometheus parses values with Go's ParseFloat, which ignores case, and prom-client
// writes "Nan" (e.g. the event-loop lag mean before its first sample).
const VALUE = '(?:[-+]?(?:\\d+(?:\\.\\d*)?(?:[eE][-+]?\\d+)?|\\.\\d+(?:[eE][-+]?\\d+)?|Inf)|[nN][aA][nN])';
const SAMPLE_LINE = new RegExp(
  `^(${METRIC_NAME})(?:\\{((?:${LABEL_PAIR})(?:,${LABEL_PAIR})*,?)?\\})? (${VALUE})(?: -?\\d+)?$`,
);
const HELP_LINE = new RegExp(`^# HELP (${METRIC_NAME}) (.*)$`);
const TYPE_LINE = new RegExp(`^# TYPE (${METRIC_NAME}) (counter|gauge|histogram|summary|untyped)$`);
const LABEL_PAIR_GLOBAL = new RegExp(`(${LABEL_NAME})=(${LABEL_VALUE})`, 'g');

/**
 * A strict reader of the Prometheus text format 0.0.4, for tests: it throws on anything Prometheus would
 * reject or that `promtool check metrics` would flag as broken (bad names or escapes, samples before their
 * TYPE, interleaved families, duplicate series, inconsistent histograms).
 */
export function parseExposition(text: string): Map<string, MetricFamily> {
  if (!text.endsWith('\n')) throw new Error('exposition must end with a newline');
  const families = new Map<string, MetricFamily>();
  const series = new Set<string>();
  let current: MetricFamily | undefined;
  const fail = (line: number, message: string): never => {
    throw new Error(`line ${line + 1}: ${message}`);
  };

  text
    .slice(0, -1)
    .split('\n')
    .forEach((line, index) => {
      if (line === '') return;
      const help = HELP_LINE.exec(line);
      if (help) {
        const family = familyFor(help[1], index);
        if (family.help !== '') fail(index, `second HELP for ${help[1]}`);
        if (/\\(?!n)/.test(help[2].replace(/\\\\/g, ''))) fail(index, `bad escape in HELP of ${help[1]}`);
        family.help = help[2];
        return;
      }
      const type = TYPE_LINE.exec(line);
      if (type) {
        const family = familyFor(type[1], index);
        if (family.samples.length > 0) fail(index, `TYPE of ${type[1]} after its samples`);
        family.type = type[2] as MetricType;
        return;
      }
      if (line.startsWith('#')) {
        if (/^# (HELP|TYPE) /.test(line)) fail(index, `malformed ${line.slice(2, 6)} line: ${line}`);
        return;
      }
      const sample = SAMPLE_LINE.exec(line);
      if (!sample) return fail(index, `not a valid sample line: ${line}`);
      const [, name, rawLabels = '', rawValue] = sample;
      if (!current || !belongsTo(name, current))
        fail(index, `sample ${name} is not in the family declared above it`);
      const labels: Record<string, string> = {};
      for (const [, labelName, quoted] of rawLabels.matchAll(LABEL_PAIR_GLOBAL)) {
        if (labelName in labels) fail(index, `label ${labelName} repeated`);
        labels[labelName] = unescape(quoted.slice(1, -1));
      }
      const key = `${name}{${Object.keys(labels)
        .sort()
        .map((k) => `${k}=${labels[k]}`)
        .join(',')}}`;
      if (series.has(key)) fail(index, `duplicate series ${key}`);
      series.add(key);
      current?.samples.push({ name, labels, value: parseValue(rawValue) });
    });

  for (const family of families.values()) {
    if (family.type === 'histogram') checkHistogram(family);
  }
  return families;

  function familyFor(name: string, index: number): MetricFamily {
    let family = families.get(name);
    if (!family) {
      family = { name, type: 'untyped', help: '', samples: [] };
      families.set(name, family);
    } else if (family !== current) {
      fail(index, `family ${name} is split in two`);
    }
    current = family;
    return family;
  }
}

function belongsTo(sampleName: string, family: MetricFamily): boolean {
  switch (family.type) {
    case 'histogram':
      return ['_bucket', '_sum', '_count'].some((suffix) => sampleName === family.name + suffix);
    case 'summary':
      return [family.name, `${family.name}_sum`, `${family.name}_count`].includes(sampleName);
    default:
      return sampleName === family.name;
  }
}

function checkHistogram(family: MetricFamily): void {
  const groups = new Map<string, { buckets: [number, number][]; count?: number }>();
  for (const sample of family.samples) {
    const { le, ...rest } = sample.labels;
    const key = JSON.stringify(Object.entries(rest).sort());
    const group = groups.get(key) ?? { buckets: [] };
    groups.set(key, group);
    if (sample.name.endsWith('_bucket')) {
      if (le === undefined) throw new Error(`${family.name}: bucket without le`);
      group.buckets.push([parseValue(le), sample.value]);
    } else if (sample.name.endsWith('_count')) {
      group.count = sample.value;
    }
  }
  for (const [key, { buckets, count }] of groups) {
    const last = buckets.at(-1);
    if (!last || last[0] !== Infinity) throw new Error(`${family.name}${key}: no +Inf bucket`);
    if (last[1] !== count) throw new Error(`${family.name}${key}: +Inf bucket differs from _count`);
    buckets.reduce((previous, bucket) => {
      if (bucket[0] <= previous[0] || bucket[1] < previous[1])
        throw new Error(`${family.name}${key}: buckets not ascending and cumulative`);
      return bucket;
    });
  }
}

function parseValue(raw: string): number {
  if (/^\+?Inf$/.test(raw)) return Infinity;
  if (raw === '-Inf') return -Infinity;
  if (/^nan$/i.test(raw)) return NaN;
  return Number(raw);
}

function unescape(value: string): string {
  return value.replace(/\\(["\\n])/g, (_, char: string) => (char === 'n' ? '\n' : char));
}

/**
 * Lints with `promtool check metrics` when Prometheus's tool is installed (Debian package `prometheus`);
 * returns undefined when it is not. promtool exits 3 for lint findings, 1 for a broken exposition.
 */
export function promtoolCheck(text: string): { status: number | null; output: string } | undefined {
  const result = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
  if (result.error) return undefined;
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}
