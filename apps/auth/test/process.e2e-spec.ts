import { ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';

import { createTestDatabase, TestDatabase } from '@emporium/platform/testing';

// These tests run the built artefact (`nx build auth` first, which the e2e target depends on) as a
// real process, the way compose and Kubernetes run it.
const MAIN = join(__dirname, '../../../dist/apps/auth/main.js');

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

interface Run {
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
}

function run(args: string[], env: Record<string, string>): Run {
  const child = spawn(process.execPath, [MAIN, ...args], {
    env: { PATH: process.env['PATH'] ?? '', LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = once(child, 'exit').then(([code]) => code as number | null);
  return { child, output: () => output, exited };
}

async function waitFor(check: () => Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check().catch(() => false)) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error('condition not met in time');
}

describe('auth as a process (dist/apps/auth/main.js)', () => {
  let db: TestDatabase;

  beforeAll(async () => {
    if (!existsSync(MAIN)) throw new Error(`${MAIN} is missing: run "npx nx build auth" first`);
    db = await createTestDatabase('process');
  });

  afterAll(async () => {
    await db?.drop();
  });

  it('`migrate` creates the schema and applies pending migrations, then finds none pending', async () => {
    const first = run(['migrate'], { PG_URL: db.url });
    expect(await first.exited).toBe(0);
    expect(first.output()).toContain('migrations applied');
    const second = run(['migrate'], { PG_URL: db.url });
    expect(await second.exited).toBe(0);
    expect(second.output()).toContain('none pending');
  });

  it('refuses to start with a bad variable and names it', async () => {
    const bad = run([], { PG_URL: db.url, PORT: 'eighty', LOG_LEVEL: 'loud' });
    expect(await bad.exited).toBe(1);
    expect(bad.output()).toMatch(/PORT/);
    expect(bad.output()).toMatch(/LOG_LEVEL/);
  });

  it('on SIGTERM turns readiness to 503, finishes in-flight work and exits 0 within 10 s', async () => {
    const port = await freePort();
    const service = run([], { PG_URL: db.url, PORT: String(port), SHUTDOWN_DRAIN_MS: '1500' });
    const base = `http://127.0.0.1:${port}`;
    await waitFor(async () => (await fetch(`${base}/health/ready`)).status === 200);

    const signalledAt = Date.now();
    service.child.kill('SIGTERM');
    await waitFor(async () => (await fetch(`${base}/health/ready`)).status === 503, 1_000);
    // Still serving during the drain window, so requests already routed here succeed.
    expect((await fetch(`${base}/health/live`)).status).toBe(200);

    expect(await service.exited).toBe(0);
    expect(Date.now() - signalledAt).toBeLessThan(10_000);
    expect(service.output()).toContain('Shutdown complete');
  });
});
