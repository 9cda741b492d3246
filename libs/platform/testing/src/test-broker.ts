import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** The broker tests run against; its vhosts are created and deleted with `rabbitmqctl` on the same host. */
export const TEST_RMQ_URL = process.env['TEST_RMQ_URL'] ?? 'amqp://guest:guest@127.0.0.1:5672';
const RABBITMQCTL = process.env['RABBITMQCTL'] ?? 'rabbitmqctl';

export interface TestVhost {
  name: string;
  /** RMQ_URL for the app under test: the test broker, this vhost. */
  url: string;
  /** What `rabbitmqctl close_all_connections` does to a broker, limited to this vhost. */
  closeAllConnections(): Promise<void>;
  drop(): Promise<void>;
}

async function rabbitmqctl(...args: string[]): Promise<string> {
  const { stdout } = await run(RABBITMQCTL, ['-q', ...args], { timeout: 30_000 });
  return stdout;
}

/**
 * A fresh RabbitMQ virtual host for one test file: its own exchanges and queues, so runs never share
 * messages. `drop()` deletes it with everything in it.
 */
export async function createTestVhost(label = 'test'): Promise<TestVhost> {
  const safeLabel =
    label
      .toLowerCase()
      .replace(/[^a-z0-9]/g, '')
      .slice(0, 20) || 'test';
  const name = `emporium_t_${safeLabel}_${process.pid}_${randomBytes(4).toString('hex')}`;
  const user = decodeURIComponent(new URL(TEST_RMQ_URL).username || 'guest');
  await rabbitmqctl('add_vhost', name);
  await rabbitmqctl('set_permissions', '-p', name, user, '.*', '.*', '.*');
  const url = new URL(TEST_RMQ_URL);
  url.pathname = `/${encodeURIComponent(name)}`;
  return {
    name,
    url: url.toString(),
    closeAllConnections: async () => {
      await rabbitmqctl('close_all_connections', '-p', name, 'closed by a test');
    },
    drop: async () => {
      await rabbitmqctl('delete_vhost', name);
    },
  };
}
