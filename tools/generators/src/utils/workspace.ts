import { Tree } from '@nx/devkit';

/**
 * The services and ports of the public contract (the table in api.md). A service of that table must take its
 * port; any other service must keep off these ports.
 */
export const CONTRACT_PORTS: Readonly<Record<string, number>> = {
  auth: 3001,
  user: 3002,
  product: 3003,
  inventory: 3004,
  order: 3005,
  payment: 3006,
  shipping: 3007,
  notification: 3008,
};

/** Lowercase kebab-case: a project name, a scope tag, a compose service and a Kubernetes object name at once. */
export const KEBAB_NAME = /^[a-z][a-z0-9]*(-[a-z0-9]+)*$/;

/** The folders under apps/ that are Nx projects, sorted. */
export function appsIn(tree: Tree): string[] {
  if (!tree.exists('apps')) return [];
  return tree
    .children('apps')
    .filter((name) => tree.exists(`apps/${name}/project.json`))
    .sort();
}

/**
 * The `defaultPort` each app declares in apps/<app>/src/app/service.ts: the convention tools/deploy-checks and
 * tools/scripts/run-platform.sh read ports by.
 */
export function declaredPorts(tree: Tree): Map<string, number> {
  const ports = new Map<string, number>();
  for (const app of appsIn(tree)) {
    const source = tree.read(`apps/${app}/src/app/service.ts`, 'utf-8');
    const match = source === null ? null : /defaultPort:\s*(\d+)/.exec(source);
    if (match) ports.set(app, Number(match[1]));
  }
  return ports;
}

/** Reads a file the generator needs to edit, failing with its path when it is missing. */
export function readRequired(tree: Tree, path: string): string {
  const content = tree.read(path, 'utf-8');
  if (content === null) throw new Error(`${path} not found: the generator edits it`);
  return content;
}
