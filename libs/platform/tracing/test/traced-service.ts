import { ChildProcess, fork } from 'node:child_process';
import { join } from 'node:path';

import type { FixtureMessage } from './traced-service/app';

const STOP_TIMEOUT_MS = 10_000;

/** The traced-service fixture running in its own Node process (see register-ts.js for why). */
export class TracedService {
  private constructor(
    private readonly child: ChildProcess,
    readonly url: string,
    private readonly output: () => string,
  ) {}

  static async start(env: Record<string, string>): Promise<TracedService> {
    let output = '';
    const child = fork(join(__dirname, 'traced-service', 'main.ts'), [], {
      execArgv: ['-r', 'reflect-metadata', '-r', join(__dirname, 'register-ts.js')],
      env: { ...withoutOtelVariables(process.env), ...env },
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    });
    child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const port = await new Promise<number>((resolve, reject) => {
      child.on('message', (message: FixtureMessage) => {
        if (message.type === 'listening') resolve(message.port);
      });
      child.once('exit', (code) => reject(new Error(`traced service exited with ${code}:\n${output}`)));
    });
    return new TracedService(child, `http://127.0.0.1:${port}`, () => output);
  }

  /** Asks the service to shut down as bootstrap does (close the app, then shutdownTracing) and waits for it. */
  async stop(): Promise<{ exitCode: number | null; output: string }> {
    const exited = new Promise<number | null>((resolve) => this.child.once('exit', resolve));
    const timer = setTimeout(() => this.child.kill('SIGKILL'), STOP_TIMEOUT_MS);
    try {
      this.child.send({ type: 'stop' } satisfies FixtureMessage);
      return { exitCode: await exited, output: this.output() };
    } finally {
      clearTimeout(timer);
    }
  }
}

function withoutOtelVariables(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(env).filter(([key]) => !key.startsWith('OTEL_')));
}
