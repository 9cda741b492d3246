import { ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';

/** A TCP port nobody listens on right now, for a server the test starts next. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Polls until `check` holds (a rejection counts as "not yet"); fails after `timeoutMs`. */
export async function waitFor(check: () => Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check().catch(() => false)) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error('condition not met in time');
}

export interface ServiceProcess {
  child: ChildProcess;
  /** Everything written to stdout and stderr so far. */
  output: () => string;
  /** The exit code (null when killed by a signal). */
  exited: Promise<number | null>;
}

/**
 * Runs a service's built bundle (`dist/apps/<app>/main.js`) the way compose and Kubernetes do, for
 * process-level tests (`migrate`, bad configuration, SIGTERM, SIGKILL). Only PATH and the given variables
 * reach it, plus `LOG_LEVEL=info` unless overridden.
 */
export class ServiceBundle {
  readonly main: string;

  constructor(
    app: string,
    /** Variables every run of this bundle gets (a test file's database and broker), under the per-run ones. */
    readonly baseEnv: Record<string, string> = {},
    workspaceRoot = join(__dirname, '../../../..'),
  ) {
    this.main = join(workspaceRoot, 'dist/apps', app, 'main.js');
  }

  /** Fails with the command that fixes it when the bundle has not been built. */
  assertBuilt(): void {
    if (!existsSync(this.main))
      throw new Error(`${this.main} is missing: run "npx nx build ${this.main.split('/').at(-2)}" first`);
  }

  run(args: string[], env: Record<string, string> = {}): ServiceProcess {
    const child = spawn(process.execPath, [this.main, ...args], {
      env: { PATH: process.env['PATH'] ?? '', LOG_LEVEL: 'info', ...this.baseEnv, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const exited = once(child, 'exit').then(([code]) => code as number | null);
    return { child, output: () => output, exited };
  }
}
