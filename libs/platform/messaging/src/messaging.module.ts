import { SERVICE_DESCRIPTOR, ServiceDescriptor } from '@emporium/platform/http';
import { Logger } from '@emporium/platform/logging';
import {
  BeforeApplicationShutdown,
  DynamicModule,
  Inject,
  Injectable,
  Module,
  OnApplicationBootstrap,
  OnModuleInit,
} from '@nestjs/common';
import { DiscoveryModule, HttpAdapterHost } from '@nestjs/core';

import { BrokerConnection } from './broker';
import { ConsumerHost } from './consumer-host';
import { RmqEnv } from './messaging.env';
import { MessagingMetrics } from './messaging.metrics';
import { Outbox } from './outbox';
import { OutboxRelay } from './outbox-relay';
import { declareServiceExchanges } from './topology';

const STARTUP_WAIT_MS = 2_000;

/**
 * Start and stop order. Start: own exchanges and consumers are registered as connection setups, then the
 * connection opens in the background and the relay starts. Stop (before the HTTP server and the database
 * close): consumers stop taking messages and finish the ones in flight, the relay publishes what is
 * committed, then the connection closes.
 */
@Injectable()
export class MessagingLifecycle implements OnModuleInit, OnApplicationBootstrap, BeforeApplicationShutdown {
  constructor(
    @Inject(SERVICE_DESCRIPTOR) private readonly service: ServiceDescriptor,
    private readonly broker: BrokerConnection,
    private readonly consumers: ConsumerHost,
    private readonly relay: OutboxRelay,
    private readonly env: RmqEnv,
    private readonly logger: Logger,
    private readonly adapterHost: HttpAdapterHost,
  ) {}

  private running = false;

  onModuleInit(): void {
    this.broker.onConnect(async (model) => {
      const channel = await model.createChannel();
      try {
        await declareServiceExchanges(channel, this.service.name);
      } finally {
        await channel.close();
      }
    });
  }

  async onApplicationBootstrap(): Promise<void> {
    // A one-shot command (`main.js migrate | seed | dlq`) runs in an application context without an HTTP
    // server: it neither consumes nor relays (rows it writes are published by the running service).
    if (!this.adapterHost.httpAdapter?.getHttpServer()) return;
    this.running = true;
    this.consumers.register();
    await this.broker.connect();
    // Usually the broker answers at once, and the service starts ready with its consumers running. If it
    // does not, the service starts anyway (not ready) and connects in the background.
    await this.broker
      .waitUntilConnected(STARTUP_WAIT_MS)
      .catch(() =>
        this.logger.warn(
          `RabbitMQ not reachable within ${STARTUP_WAIT_MS} ms; starting not ready, connecting in the background`,
        ),
      );
    if (this.env.OUTBOX_RELAY_ENABLED) this.relay.start();
    const queues = this.consumers.queues;
    this.logger.log(
      `Messaging started: ${queues.length > 0 ? `consuming ${queues.join(', ')}` : 'no consumers'}, outbox relay ${this.env.OUTBOX_RELAY_ENABLED ? 'on' : 'off'}`,
    );
  }

  async beforeApplicationShutdown(): Promise<void> {
    if (!this.running) return;
    await this.consumers.stop();
    await this.relay.stop();
    await this.broker.close();
  }
}

/**
 * RabbitMQ for a service: `Outbox` to publish in a transaction, `@MessageConsumer`/`@OnEvent` providers to
 * consume, readiness `broker`, metrics and trace propagation. The service lists `RmqEnv` in its descriptor's
 * `env` and `CreateMessagingTables…` in its migrations.
 */
@Module({})
export class MessagingModule {
  static forRoot(): DynamicModule {
    return {
      module: MessagingModule,
      global: true,
      imports: [DiscoveryModule],
      providers: [BrokerConnection, MessagingMetrics, Outbox, OutboxRelay, ConsumerHost, MessagingLifecycle],
      exports: [Outbox, BrokerConnection, OutboxRelay],
    };
  }
}
