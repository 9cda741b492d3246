import { parseArgs } from 'node:util';

import { INestApplicationContext } from '@nestjs/common';
import { connect } from 'amqplib';

import { ConsumerHost } from './consumer-host';
import { DeadLetterQueues } from './dead-letters';
import { RmqEnv } from './messaging.env';
import { deadLetterQueue } from './naming';

const USAGE = `Usage: node main.js dlq <command> [options]
  list                         every dead-letter queue of this service and its message count
  inspect <queue> [--limit N]  the first N dead letters (default 10), left in place
  replay <queue> [--limit N]   move dead letters back to their consumer queue (default all)
  purge <queue> --yes          delete every message of the dead-letter queue
<queue> is a consumer queue (user.profiles) or its dead-letter queue (user.profiles.dlq).`;

/**
 * The operator's dead-letter tool, as a subcommand of every service that consumes
 * (`BootstrapOptions.commands.dlq`), so it runs wherever the service runs, with the service's own
 * RMQ_URL and queue names: `kubectl exec deploy/user -- node main.js dlq list`. Writes JSON lines.
 */
export async function deadLetterCommand(
  app: INestApplicationContext,
  argv: readonly string[] = process.argv.slice(3),
  write: (line: string) => void = (line) => process.stdout.write(`${line}\n`),
): Promise<void> {
  const { positionals, values } = parseArgs({
    args: [...argv],
    allowPositionals: true,
    options: { limit: { type: 'string' }, yes: { type: 'boolean', default: false } },
  });
  const [command, queueArg] = positionals;
  const queues = app.get(ConsumerHost).queues;
  const dlqOf = (name: string | undefined): string => {
    const queue = name?.endsWith('.dlq') ? name.slice(0, -'.dlq'.length) : name;
    if (!queue || !queues.includes(queue))
      throw new Error(
        `Name one of this service's queues: ${queues.join(', ') || '(it has no consumers)'}\n${USAGE}`,
      );
    return deadLetterQueue(queue);
  };
  const limit = values.limit === undefined ? undefined : Number(values.limit);
  if (limit !== undefined && (!Number.isInteger(limit) || limit < 1))
    throw new Error('--limit must be a positive integer');
  if (!['list', 'inspect', 'replay', 'purge'].includes(command ?? '')) throw new Error(USAGE);

  const connection = await connect(app.get(RmqEnv).RMQ_URL);
  const channel = await connection.createConfirmChannel();
  try {
    const dlq = new DeadLetterQueues(channel);
    switch (command) {
      case 'list':
        for (const queue of queues) {
          const name = deadLetterQueue(queue);
          write(JSON.stringify({ queue: name, messages: await dlq.count(name).catch(() => 0) }));
        }
        break;
      case 'inspect':
        for (const letter of await dlq.inspect(dlqOf(queueArg), limit ?? 10)) write(JSON.stringify(letter));
        break;
      case 'replay':
        write(JSON.stringify({ queue: dlqOf(queueArg), replayed: await dlq.replay(dlqOf(queueArg), limit) }));
        break;
      case 'purge':
        if (!values.yes) throw new Error('purge deletes messages for good: add --yes');
        write(JSON.stringify({ queue: dlqOf(queueArg), purged: await dlq.purge(dlqOf(queueArg)) }));
        break;
    }
  } finally {
    // Closing the channel first: its close handshake comes after the acks sent on it, whereas closing
    // the connection at once can overtake them (the acked messages would return to the queue).
    await channel.close().catch(() => undefined);
    await connection.close();
  }
}
