import { Tree } from '@nx/devkit';
import { isSeq, parse, parseDocument, Scalar, YAMLMap, YAMLSeq } from 'yaml';

import { readRequired } from '../utils/workspace';

export const COMPOSE_FILE = 'docker-compose.yml';
export const PROMETHEUS_FILE = 'tools/docker/prometheus/prometheus.yml';
export const ENVIRONMENTS = ['dev', 'prod'] as const;
export const ESLINT_CONFIG = 'eslint.config.mjs';

export const environmentKustomization = (environment: string): string =>
  `k8s/overlays/${environment}/kustomization.yaml`;
const overlayResource = (name: string, environment: string): string =>
  `../../apps/${name}/overlays/${environment}`;

export interface DeployTarget {
  name: string;
  port: number;
  constantName: string;
}

interface ComposeFile {
  services?: Record<string, { ports?: unknown[]; build?: { args?: Record<string, unknown> } }>;
}

interface PrometheusFile {
  scrape_configs?: { job_name?: string; static_configs?: { targets?: string[] }[] }[];
}

/** Compose services by name, with the host ports they publish. */
export function composeServices(tree: Tree): Map<string, number[]> {
  const compose = parse(readRequired(tree, COMPOSE_FILE), { merge: true }) as ComposeFile;
  const services = new Map<string, number[]>();
  for (const [name, service] of Object.entries(compose.services ?? {})) {
    const published = (service.ports ?? []).map((port) =>
      typeof port === 'object' && port !== null
        ? Number((port as { published?: unknown }).published)
        : Number(String(port).split(':').slice(-2, -1)[0] ?? port),
    );
    services.set(name, published);
  }
  return services;
}

/** Why the deployment files cannot take `name` on `port` (already there, or the port is published). */
export function deployConflicts(tree: Tree, { name, port }: DeployTarget): string[] {
  const problems: string[] = [];
  for (const [service, published] of composeServices(tree)) {
    if (service === name || service === `${name}-migrate`)
      problems.push(`${COMPOSE_FILE} already has a service named "${service}"`);
    else if (published.includes(port))
      problems.push(`port ${port} is already published by "${service}" in ${COMPOSE_FILE}`);
  }
  const prometheus = parse(readRequired(tree, PROMETHEUS_FILE)) as PrometheusFile;
  for (const job of prometheus.scrape_configs ?? []) {
    const targets = (job.static_configs ?? []).flatMap((config) => config.targets ?? []);
    if (job.job_name === name || targets.some((target) => target.split(':')[0] === name))
      problems.push(`${PROMETHEUS_FILE} already scrapes "${name}"`);
  }
  for (const environment of ENVIRONMENTS) {
    const file = environmentKustomization(environment);
    if (readRequired(tree, file).includes(`../../apps/${name}/`))
      problems.push(`${file} already lists ${name}`);
  }
  if (tree.exists(`k8s/apps/${name}`)) problems.push(`k8s/apps/${name} already exists`);
  return problems;
}

/**
 * Adds `<name>-migrate` and `<name>` to docker-compose.yml, built on the same anchors as product's, and
 * `SERVICE_<NAME>_URL` to the shared environment. Text insertion rather than a YAML round trip: the file's
 * anchors, flow maps, quoting and comments stay exactly as written.
 */
export function addToCompose(tree: Tree, { name, port, constantName }: DeployTarget): void {
  const lines = readRequired(tree, COMPOSE_FILE).split('\n');

  const urlVariable = `SERVICE_${constantName}_URL`;
  const urlLines = lines
    .map((line, index) => ({ line, index }))
    .filter(({ line }) => /^ {2}SERVICE_[A-Z0-9_]+_URL:/.test(line));
  if (!urlLines.some(({ line }) => line.startsWith(`  ${urlVariable}:`))) {
    const last = urlLines.at(-1);
    if (!last) throw new Error(`${COMPOSE_FILE}: no SERVICE_<NAME>_URL lines in x-service-env to extend`);
    lines.splice(last.index + 1, 0, `  ${urlVariable}: http://${name}:${port}`);
  }

  const servicesAt = lines.indexOf('services:');
  if (servicesAt < 0) throw new Error(`${COMPOSE_FILE}: no top-level "services:" key`);
  let end = lines.findIndex((line, index) => index > servicesAt && /^[A-Za-z_]/.test(line));
  if (end < 0) end = lines.length;
  // After the last non-blank line of the services block, so the blank line before the next key stays.
  let insertAt = end;
  while (insertAt > servicesAt + 1 && lines[insertAt - 1].trim() === '') insertAt -= 1;
  const build = `build: { context: ., args: { APP: ${name}, PORT: '${port}' } }`;
  // A blank line after the previous service, none under the section's heading comment.
  const lead = lines[insertAt - 1].trim().startsWith('#') ? [] : [''];
  const block = [
    ...lead,
    `  ${name}-migrate:`,
    '    <<: *migrate-defaults',
    `    image: emporium/${name}:\${TAG:-dev}`,
    `    ${build}`,
    '',
    `  ${name}:`,
    '    <<: *service-defaults',
    `    image: emporium/${name}:\${TAG:-dev}`,
    `    ${build}`,
    '    environment:',
    '      <<: *service-env',
    `      PORT: '${port}'`,
    `      OTEL_SERVICE_NAME: ${name}`,
    '    ports:',
    `      - '${port}:${port}'`,
    '    depends_on:',
    '      <<: *infra-ready',
    `      ${name}-migrate:`,
    '        condition: service_completed_successfully',
  ];
  lines.splice(insertAt, 0, ...block);
  const text = lines.join('\n');

  const check = parseDocument(text, { merge: true });
  const services = check.toJS() as ComposeFile;
  if (check.errors.length > 0 || !services.services?.[name] || !services.services[`${name}-migrate`])
    throw new Error(`${COMPOSE_FILE}: the edited file does not parse: ${check.errors.join('; ')}`);
  tree.write(COMPOSE_FILE, text);
}

/** Adds a scrape job for `<name>:<port>/metrics`, shaped like product's, keeping the file's comments. */
export function addToPrometheus(tree: Tree, { name, port }: DeployTarget): void {
  const doc = parseDocument(readRequired(tree, PROMETHEUS_FILE));
  const jobs = doc.get('scrape_configs');
  if (!isSeq(jobs)) throw new Error(`${PROMETHEUS_FILE}: scrape_configs is not a list`);
  const job = doc.createNode({
    job_name: name,
    metrics_path: '/metrics',
    static_configs: [{ targets: [`${name}:${port}`], labels: { service: name } }],
  }) as YAMLMap;
  const targets = (job.get('static_configs') as YAMLSeq<YAMLMap>).items[0].get('targets') as YAMLSeq<Scalar>;
  targets.flow = true;
  targets.items[0].type = Scalar.QUOTE_SINGLE;
  job.spaceBefore = true;
  jobs.items.push(job);
  tree.write(PROMETHEUS_FILE, doc.toString({ flowCollectionPadding: false }));
}

/** Lists the service's overlay in k8s/overlays/{dev,prod}, so `kubectl apply -k` deploys it. */
export function addToK8sEnvironments(tree: Tree, { name }: DeployTarget): void {
  for (const environment of ENVIRONMENTS) {
    const file = environmentKustomization(environment);
    const doc = parseDocument(readRequired(tree, file));
    const resources = doc.get('resources');
    if (!isSeq(resources)) throw new Error(`${file}: resources is not a list`);
    resources.items.push(doc.createNode(overlayResource(name, environment)));
    tree.write(file, doc.toString({ flowCollectionPadding: false }));
  }
}

/**
 * Gives the new scope its boundary in eslint.config.mjs (its own scope and scope:shared only), unless the
 * config already has one: an unconstrained scope could import any other service.
 */
export function addModuleBoundary(tree: Tree, { name }: DeployTarget): boolean {
  const source = readRequired(tree, ESLINT_CONFIG);
  if (source.includes(`sourceTag: 'scope:${name}'`)) return false;
  const start = source.indexOf('depConstraints: [');
  if (start < 0) throw new Error(`${ESLINT_CONFIG}: no depConstraints list to extend`);
  const close = matchingBracket(source, start + 'depConstraints: '.length);
  const constraint = `{ sourceTag: 'scope:${name}', onlyDependOnLibsWithTags: ['scope:${name}', 'scope:shared'] },`;
  const lineStart = source.lastIndexOf('\n', close) + 1;
  const indent = `${source.slice(lineStart, close)}  `;
  tree.write(
    ESLINT_CONFIG,
    `${source.slice(0, lineStart)}${indent}${constraint}\n${source.slice(lineStart)}`,
  );
  return true;
}

/** The index of the `]` closing the `[` at `open`, skipping strings and comments. */
function matchingBracket(source: string, open: number): number {
  let depth = 0;
  for (let i = open; i < source.length; i += 1) {
    const char = source[i];
    if (char === '/' && source[i + 1] === '/') i = source.indexOf('\n', i);
    else if (char === '/' && source[i + 1] === '*') i = source.indexOf('*/', i) + 1;
    else if (char === "'" || char === '"' || char === '`') {
      for (i += 1; source[i] !== char; i += 1) if (source[i] === '\\') i += 1;
    } else if (char === '[' || char === '{' || char === '(') depth += 1;
    else if (char === ']' || char === '}' || char === ')') {
      depth -= 1;
      if (depth === 0) return i;
    }
    if (i < 0) break;
  }
  throw new Error(`${ESLINT_CONFIG}: unbalanced brackets after depConstraints`);
}
