import { ReadinessRegistry } from '@emporium/platform/health';
import { Logger } from '@emporium/platform/logging';
import { Injectable, OnModuleInit } from '@nestjs/common';
import { ChannelModel, ConfirmChannel, connect, RecoveringChannelModel } from 'amqplib';

import { RmqEnv } from './messaging.env';

/** Run after every (re)connection, in registration order: declare topology, open channels, resume consumers. */
export type ConnectionSetup = (model: ChannelModel) => Promise<void>;

const RECONNECT = { initialDelay: 200, maxDelay: 10_000, factor: 2, jitter: 0.2 } as const;

/** The URL without its password, for log lines. */
export function redactAmqpUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return 'amqp://(unparseable)';
  }
}

/**
 * The process's one broker connection, through amqplib's own recovery: exponential backoff with jitter
 * after a dropped connection or a broker restart, then every registered setup runs again (topology,
 * publisher channel, consumers). A broker that is down at start-up does not stop the service: it starts,
 * `/health/ready` answers 503 naming `broker`, and it connects as soon as the broker answers.
 */
@Injectable()
export class BrokerConnection implements OnModuleInit {
  private model?: RecoveringChannelModel;
  private connected = false;
  private closing = false;
  private readonly setups: ConnectionSetup[] = [];
  private publisher?: ConfirmChannel;

  constructor(
    private readonly env: RmqEnv,
    private readonly readiness: ReadinessRegistry,
    private readonly logger: Logger,
  ) {}

  onModuleInit(): void {
    this.readiness.register('broker', async () => {
      if (!this.connected) throw new Error('not connected to RabbitMQ');
    });
  }

  /** Adds work to run on every connection; call before `connect()` (from onModuleInit). */
  onConnect(setup: ConnectionSetup): void {
    if (this.model) throw new Error('Register connection setups before the broker connection opens');
    this.setups.push(setup);
  }

  get isConnected(): boolean {
    return this.connected;
  }

  /** The confirm channel of the current connection, or undefined while disconnected. */
  get publishChannel(): ConfirmChannel | undefined {
    return this.publisher;
  }

  /** Opens the connection in the background; resolves at once, whether or not the broker answers yet. */
  async connect(): Promise<void> {
    if (this.model) return;
    const model = await connect(this.env.RMQ_URL, {
      clientProperties: { connection_name: 'emporium' },
      recovery: {
        ...RECONNECT,
        waitForConnect: false,
        setup: async (connection: ChannelModel) => {
          // The publisher channel first, so consumers (which publish retries) find it open.
          await this.openPublisher(connection);
          for (const setup of this.setups) await setup(connection);
        },
      },
    });
    this.model = model;
    model.on('connect', () => {
      this.connected = true;
      this.logger.log(`Connected to RabbitMQ at ${redactAmqpUrl(this.env.RMQ_URL)}`);
    });
    model.on('disconnect', (error: Error) => {
      this.connected = false;
      if (!this.closing) this.logger.warn(`RabbitMQ connection lost (${error.message}); reconnecting`);
    });
    model.on('connect-failed', (error: Error) => {
      this.connected = false;
      this.logger.warn(`RabbitMQ connection attempt failed: ${error.message}`);
    });
    model.on('error', (error: Error) => this.logger.warn(`RabbitMQ connection error: ${error.message}`));
    model.on('handler-error', (error: Error, event: string) =>
      this.logger.error(`RabbitMQ ${event} handler failed: ${error.message}`),
    );
  }

  /** Resolves once connected (for tests and one-shot tools). */
  async waitUntilConnected(timeoutMs = 10_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!this.connected) {
      if (Date.now() > deadline) throw new Error(`No RabbitMQ connection within ${timeoutMs} ms`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  async close(): Promise<void> {
    this.closing = true;
    const model = this.model;
    if (!model) return;
    try {
      await model.close();
    } catch (error) {
      this.logger.warn(`Closing the RabbitMQ connection failed: ${(error as Error).message}`);
    }
    this.connected = false;
    this.publisher = undefined;
  }

  private async openPublisher(connection: ChannelModel): Promise<void> {
    const channel = await connection.createConfirmChannel();
    this.watch(channel, 'publisher');
    channel.on('close', () => {
      if (this.publisher === channel) this.publisher = undefined;
    });
    this.publisher = channel;
  }

  /**
   * Channel errors (a refused declaration, an ack on a dead delivery tag) close the channel and are
   * emitted as events; an 'error' event without a listener would crash the process.
   */
  watch(channel: ConfirmChannel, name: string): void {
    channel.on('error', (error: Error) =>
      this.logger.warn(`RabbitMQ channel ${name} error: ${error.message}`),
    );
    channel.on('handler-error', (error: Error, event: string) =>
      this.logger.error(`RabbitMQ channel ${name} ${event} handler failed: ${error.message}`),
    );
  }
}
