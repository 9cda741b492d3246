import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { isSecretName } from './secrets';
import { workspaceRoot } from './workspace';

interface Instruction {
  keyword: string;
  args: string;
}

/** Dockerfile instructions in order, continuation lines joined and comments dropped. */
function readDockerfile(): Instruction[] {
  const text = readFileSync(join(workspaceRoot, 'Dockerfile'), 'utf8');
  const lines = text.split('\n').filter((line) => !/^\s*#/.test(line));
  return lines
    .join('\n')
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((line) => line.trim())
    .filter(Boolean)
    .map((line) => {
      const [keyword = '', ...rest] = line.split(/\s+/);
      return { keyword: keyword.toUpperCase(), args: rest.join(' ') };
    });
}

/** The instructions of each stage (from its FROM to the next), in order. */
function stages(instructions: Instruction[]): Instruction[][] {
  const result: Instruction[][] = [];
  for (const instruction of instructions) {
    if (instruction.keyword === 'FROM') result.push([]);
    result.at(-1)?.push(instruction);
  }
  return result;
}

describe('Dockerfile', () => {
  const instructions = readDockerfile();
  const all = stages(instructions);
  const runtime = all.at(-1) ?? [];
  const args = (stage: Instruction[], keyword: string): string[] =>
    stage.filter((i) => i.keyword === keyword).map((i) => i.args);

  it('builds from a Node 22 image pinned by tag', () => {
    const base = instructions.find((i) => i.keyword === 'ARG' && i.args.startsWith('NODE_IMAGE='));
    expect(base?.args).toMatch(
      /^NODE_IMAGE=node:22\.\d+(\.\d+)?-(bookworm-slim|alpine)(@sha256:[a-f0-9]{64})?$/,
    );
    expect(all.map((stage) => stage[0]?.args)).toEqual(
      all.map(() => expect.stringMatching(/^\$\{NODE_IMAGE\}/)),
    );
  });

  it('builds the app chosen by ARG APP with nx, then installs production dependencies only', () => {
    expect(all.length).toBeGreaterThanOrEqual(3);
    const build = all[0] ?? [];
    expect(args(build, 'ARG')).toContain('APP');
    expect(args(build, 'RUN').join('\n')).toMatch(/npm ci/);
    expect(args(build, 'RUN').join('\n')).toMatch(/npx nx build "?\$APP"?/);
    const deps = all
      .slice(1, -1)
      .flatMap((stage) => args(stage, 'RUN'))
      .join('\n');
    expect(deps).toMatch(/npm ci --omit=dev/);
    expect(deps).toMatch(/npm install --omit=dev/);
  });

  it('runs the final stage as uid 10001 in production mode with `node main.js`', () => {
    expect(args(runtime, 'USER')).toEqual([expect.stringMatching(/^10001(:10001)?$/)]);
    expect(args(runtime, 'ENV').join(' ')).toMatch(/NODE_ENV=production/);
    expect(args(runtime, 'CMD')).toEqual(['["node", "main.js"]']);
    expect(args(runtime, 'EXPOSE')).not.toHaveLength(0);
  });

  it('bakes no secret into any stage', () => {
    const names = instructions
      .filter((i) => i.keyword === 'ARG' || i.keyword === 'ENV')
      .flatMap((i) => i.args.split(/\s+/).map((pair) => pair.split('=')[0] ?? ''));
    expect(names.filter(isSecretName)).toEqual([]);
    expect(args(runtime, 'COPY').join('\n')).not.toMatch(/\.env|\.npmrc/);
  });
});

describe('.dockerignore', () => {
  it('keeps dependencies, build output, git history and local env files out of the build context', () => {
    const ignored = readFileSync(join(workspaceRoot, '.dockerignore'), 'utf8')
      .split('\n')
      .map((line) => line.trim())
      .filter((line) => line && !line.startsWith('#'));
    expect(ignored).toEqual(expect.arrayContaining(['**/node_modules', '**/dist', '.git', '.env', '.env.*']));
  });
});
