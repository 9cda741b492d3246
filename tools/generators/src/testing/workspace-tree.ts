import { readFileSync } from 'node:fs';
import { dirname, join, normalize, resolve } from 'node:path';

import { Tree } from '@nx/devkit';
import { createTreeWithEmptyWorkspace } from '@nx/devkit/testing';
import * as ts from 'typescript';

export const workspaceRoot = resolve(__dirname, '../../../..');

/** A file of the real workspace, as committed (or as it is on disk now). */
export function readWorkspaceFile(path: string): string {
  return readFileSync(join(workspaceRoot, path), 'utf-8');
}

/** The root files the generators edit or read, so tests run against the real ones. */
export const ROOT_FILES = [
  '.prettierrc',
  'eslint.config.mjs',
  'docker-compose.yml',
  'tools/docker/prometheus/prometheus.yml',
  'k8s/overlays/dev/kustomization.yaml',
  'k8s/overlays/prod/kustomization.yaml',
  'libs/contracts/src/events.ts',
  'libs/contracts/src/index.ts',
  'libs/contracts/src/money.ts',
  'libs/contracts/src/product/product.events.ts',
  'libs/contracts/src/user/user.events.ts',
  'libs/contracts/src/grpc.ts',
  'libs/contracts/src/user/user.grpc.ts',
];

/**
 * An empty Nx workspace holding copies of the real root files (and `extra` workspace files), optionally
 * rewritten by `edit` before the generator sees them.
 */
export function workspaceTree(
  extra: string[] = [],
  edit: Record<string, (content: string) => string> = {},
): Tree {
  // Prettier, as the workspace formats with it (the helper's default is oxfmt).
  const tree = createTreeWithEmptyWorkspace({ formatter: 'prettier' });
  for (const path of [...ROOT_FILES, ...extra]) {
    const content = readWorkspaceFile(path);
    tree.write(path, edit[path] ? edit[path](content) : content);
  }
  return tree;
}

/** Reads a file the test expects the generator to have written. */
export function readTreeFile(tree: Tree, path: string): string {
  const content = tree.read(path, 'utf-8');
  if (content === null) throw new Error(`${path} was not generated`);
  return content;
}

/** The lines of `original` missing from `updated` (kept in order): what an edit lost. */
export function linesLost(original: string, updated: string): string[] {
  const remaining = updated.split('\n');
  let at = 0;
  const lost: string[] = [];
  for (const line of original.split('\n')) {
    const found = remaining.indexOf(line, at);
    if (found < 0) lost.push(line);
    else at = found + 1;
  }
  return lost;
}

/**
 * Loads a TypeScript module from the tree (transpiled in memory; packages come from node_modules), so a
 * test can run what a generator wrote without writing it anywhere.
 */
export function loadFromTree(tree: Tree, path: string): Record<string, unknown> {
  const cache = new Map<string, { exports: Record<string, unknown> }>();
  const load = (file: string): Record<string, unknown> => {
    const cached = cache.get(file);
    if (cached) return cached.exports;
    const module = { exports: {} as Record<string, unknown> };
    cache.set(file, module);
    const { outputText } = ts.transpileModule(readTreeFile(tree, file), {
      compilerOptions: {
        module: ts.ModuleKind.CommonJS,
        target: ts.ScriptTarget.ES2022,
        experimentalDecorators: true,
        emitDecoratorMetadata: true,
        useDefineForClassFields: false,
      },
    });
    const requireFromTree = (specifier: string): unknown =>
      specifier.startsWith('.')
        ? load(normalize(join(dirname(file), `${specifier}.ts`)))
        : require(specifier);
    new Function('exports', 'require', 'module', '__filename', '__dirname', outputText)(
      module.exports,
      requireFromTree,
      module,
      join(workspaceRoot, file),
      join(workspaceRoot, dirname(file)),
    );
    return module.exports;
  };
  return load(path);
}
