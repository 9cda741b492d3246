import { join } from 'node:path';

import { formatFiles, generateFiles, GeneratorCallback, getProjects, logger, names, Tree } from '@nx/devkit';

import { CONTRACT_PORTS, declaredPorts, KEBAB_NAME } from '../utils/workspace';
import {
  addModuleBoundary,
  addToCompose,
  addToK8sEnvironments,
  addToPrometheus,
  deployConflicts,
} from './deploy';

export interface ServiceGeneratorSchema {
  name: string;
  port: number;
  description?: string;
}

export interface NormalizedServiceOptions {
  name: string;
  port: number;
  description: string;
  /** ORDER_HISTORY for order-history: the prefix of the descriptor constants. */
  constantName: string;
  /** The PostgreSQL schema: the name with `_` for `-` (schema names allow no hyphen). */
  schema: string;
}

const MIN_PORT = 1024;
const MAX_PORT = 65535;
// Kubernetes object names derived from it (`<name>-secrets`, `<name>-config-<hash>`) stay under 63.
const MAX_NAME_LENGTH = 40;

/** Checks every input against the workspace and returns what the templates need; throws on the first problem. */
export function normalizeServiceOptions(
  tree: Tree,
  options: ServiceGeneratorSchema,
): NormalizedServiceOptions {
  const name = String(options.name ?? '').trim();
  if (!KEBAB_NAME.test(name) || name.length > MAX_NAME_LENGTH)
    throw new Error(
      `Invalid service name "${name}": use lowercase kebab-case (a-z, 0-9, single hyphens), starting with a letter, at most ${MAX_NAME_LENGTH} characters.`,
    );
  if (tree.exists(`apps/${name}`)) throw new Error(`apps/${name} already exists.`);
  if (getProjects(tree).has(name)) throw new Error(`An Nx project named "${name}" already exists.`);

  const port = Number(options.port);
  if (!Number.isInteger(port) || port < MIN_PORT || port > MAX_PORT)
    throw new Error(`Invalid port "${options.port}": an integer from ${MIN_PORT} to ${MAX_PORT}.`);
  const contractPort = CONTRACT_PORTS[name];
  if (contractPort !== undefined && port !== contractPort)
    throw new Error(`api.md gives ${name} port ${contractPort}, not ${port}.`);
  const contractOwner = Object.entries(CONTRACT_PORTS).find(([service, p]) => p === port && service !== name);
  if (contractOwner) throw new Error(`Port ${port} belongs to ${contractOwner[0]} in api.md.`);
  for (const [app, taken] of declaredPorts(tree))
    if (taken === port) throw new Error(`Port ${port} is already used by apps/${app} (src/app/service.ts).`);

  const description = (options.description ?? `The ${name} service.`).trim();
  if (!description || /[\r\n]/.test(description) || description.length > 200)
    throw new Error('The description is one line of at most 200 characters.');

  const normalized: NormalizedServiceOptions = {
    name,
    port,
    description,
    constantName: names(name).constantName,
    schema: name.replace(/-/g, '_'),
  };
  const conflicts = deployConflicts(tree, normalized);
  if (conflicts.length > 0)
    throw new Error(`Cannot add ${name} to the deployment files:\n  - ${conflicts.join('\n  - ')}`);
  return normalized;
}

/**
 * `nx g @emporium/generators:service <name> --port=<port>`: apps/<name> wired to the platform exactly as
 * product is, with unit, integration and end-to-end tests and a README to complete, plus its compose
 * services, Prometheus job, Kubernetes base and overlays, and its module boundary.
 */
export async function serviceGenerator(
  tree: Tree,
  options: ServiceGeneratorSchema,
): Promise<GeneratorCallback> {
  const o = normalizeServiceOptions(tree, options);
  const substitutions = {
    ...o,
    quotedDescription: o.description.replace(/\\/g, '\\\\').replace(/'/g, "\\'"),
    tmpl: '',
  };
  generateFiles(tree, join(__dirname, 'files', 'app'), `apps/${o.name}`, substitutions);
  generateFiles(tree, join(__dirname, 'files', 'k8s'), `k8s/apps/${o.name}`, substitutions);
  addToCompose(tree, o);
  addToPrometheus(tree, o);
  addToK8sEnvironments(tree, o);
  const boundaryAdded = addModuleBoundary(tree, o);
  await formatFiles(tree);

  return () => {
    logger.info(
      [
        `${o.name} is on port ${o.port} with schema "${o.schema}"${boundaryAdded ? ' and its own lint boundary' : ''}.`,
        'Next (docs/adding-a-service.md):',
        `  - complete apps/${o.name}/README.md (every TODO(${o.name}))`,
        `  - npx nx run-many -t lint typecheck test integration e2e -p ${o.name}`,
        '  - npx nx run deploy-checks:integration',
        `  - create the ${o.name}-secrets Secret in each namespace before deploying (docs/deployment.md)`,
      ].join('\n'),
    );
  };
}

export default serviceGenerator;
