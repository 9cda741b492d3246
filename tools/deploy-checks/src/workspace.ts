import { execFile } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';

export const workspaceRoot = resolve(__dirname, '../../..');

/** Every Nx app under apps/ (a folder with a project.json), so a new service is checked without edits here. */
export function discoverApps(): string[] {
  const appsDir = join(workspaceRoot, 'apps');
  if (!existsSync(appsDir)) return [];
  return readdirSync(appsDir)
    .filter((name) => existsSync(join(appsDir, name, 'project.json')))
    .sort();
}

/**
 * The port a service listens on by default, from the `defaultPort` of its descriptor in
 * apps/<app>/src/app/service.ts (the convention tools/scripts/run-platform.sh relies on too).
 */
export function declaredPort(app: string): number {
  const file = join(workspaceRoot, 'apps', app, 'src', 'app', 'service.ts');
  if (!existsSync(file))
    throw new Error(`${relative(workspaceRoot, file)} not found: cannot read ${app}'s port`);
  const match = /defaultPort:\s*(\d+)/.exec(readFileSync(file, 'utf8'));
  if (!match) throw new Error(`no "defaultPort: <number>" in ${relative(workspaceRoot, file)}`);
  return Number(match[1]);
}

/** Directories under k8s/ holding a kustomization.yaml, relative to the workspace root, sorted. */
export function findKustomizations(root = join(workspaceRoot, 'k8s')): string[] {
  const found: string[] = [];
  const walk = (dir: string): void => {
    if (existsSync(join(dir, 'kustomization.yaml'))) found.push(relative(workspaceRoot, dir));
    for (const entry of readdirSync(dir)) {
      const path = join(dir, entry);
      if (statSync(path).isDirectory()) walk(path);
    }
  };
  if (existsSync(root)) walk(root);
  return found.sort();
}

/** How to get each external tool on a Debian machine, for the error a missing tool produces. */
const INSTALL_HINTS: Record<string, string> = {
  'docker-compose': 'apt-get update && apt-get install -y docker-compose',
  kubectl: 'install kubectl (https://kubernetes.io/docs/tasks/tools/) or apt-get install -y kubectl',
};

export interface CommandResult {
  stdout: string;
  stderr: string;
}

/**
 * Runs a tool from the workspace root. A missing tool is an error naming how to install it: these checks
 * never skip, because a skipped check reads as a passing one.
 */
export function runTool(command: string, args: string[]): Promise<CommandResult> {
  return new Promise((resolvePromise, reject) => {
    execFile(
      command,
      args,
      { cwd: workspaceRoot, maxBuffer: 64 * 1024 * 1024, timeout: 20_000, env: { ...process.env } },
      (error, stdout, stderr) => {
        if (!error) return resolvePromise({ stdout, stderr });
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
          const hint = INSTALL_HINTS[command] ?? 'install it';
          return reject(new Error(`"${command}" is not installed on this machine. Install it with: ${hint}`));
        }
        reject(
          new Error(`${command} ${args.join(' ')} failed (exit ${String(error.code)}):\n${stderr || stdout}`),
        );
      },
    );
  });
}
