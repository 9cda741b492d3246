import { CloudEvent } from '@emporium/platform/messaging';
import { Channel, ChannelModel, connect } from 'amqplib';
import request from 'supertest';

import { createProduct, ProductTestContext, startProductApp } from './product-app';

let ctx: ProductTestContext;
let connection: ChannelModel;
let channel: Channel;
const received: CloudEvent<Record<string, unknown>>[] = [];
const admin = () => ({ Authorization: `Bearer ${ctx.adminToken}` });

async function eventsAbout(subject: string, count: number): Promise<CloudEvent<Record<string, unknown>>[]> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const events = received.filter((event) => event.subject === subject);
    if (events.length >= count) return events;
    if (Date.now() > deadline)
      throw new Error(`Expected ${count} events about ${subject}, got ${events.length}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

beforeAll(async () => {
  ctx = await startProductApp({ OUTBOX_POLL_MS: '200' });
  const vhost = ctx.testApp.vhost;
  if (!vhost) throw new Error('the product test app has no broker vhost');
  connection = await connect(vhost.url);
  channel = await connection.createChannel();
  await channel.assertExchange('product.events', 'topic', { durable: true });
  const { queue } = await channel.assertQueue('', { exclusive: true });
  await channel.bindQueue(queue, 'product.events', 'product.*');
  await channel.consume(queue, (message) => {
    if (message) received.push(JSON.parse(message.content.toString()) as CloudEvent<Record<string, unknown>>);
  });
});

afterAll(async () => {
  await connection?.close();
  await ctx?.close();
});

describe('product events (published through the outbox)', () => {
  it('publishes product.created, product.updated and product.deactivated in order, each once', async () => {
    const product = await createProduct(ctx, { category: 'events' });
    await request(ctx.testApp.server)
      .patch(`/api/v1/products/${product.id}`)
      .set(admin())
      .set('X-Request-Id', 'evt-req-1')
      .send({ price: { amount: 4200, currency: 'EUR' } })
      .expect(200);
    await request(ctx.testApp.server).delete(`/api/v1/products/${product.id}`).set(admin()).expect(204);
    // Deactivating again changes nothing, and publishes nothing.
    await request(ctx.testApp.server).delete(`/api/v1/products/${product.id}`).set(admin()).expect(204);

    const events = await eventsAbout(product.id, 3);
    expect(events.map((event) => event.type)).toEqual([
      'product.created',
      'product.updated',
      'product.deactivated',
    ]);
    expect(events[0]).toMatchObject({
      specversion: '1.0',
      source: 'product',
      datacontenttype: 'application/json',
      data: {
        productId: product.id,
        sku: product.sku,
        name: product.name,
        price: product.price,
        category: 'events',
        active: true,
      },
    });
    expect(events[1]).toMatchObject({
      requestid: 'evt-req-1',
      data: { productId: product.id, price: { amount: 4200, currency: 'EUR' }, active: true },
    });
    expect(events[2].data).toEqual({ productId: product.id, sku: product.sku });
    expect(new Set(events.map((event) => event.id)).size).toBe(3);
  });

  it('publishes nothing for a change other services do not copy, or for a refused request', async () => {
    const product = await createProduct(ctx);
    await eventsAbout(product.id, 1);
    await request(ctx.testApp.server)
      .patch(`/api/v1/products/${product.id}`)
      .set(admin())
      .send({ description: 'Only the description changes.' })
      .expect(200);
    await request(ctx.testApp.server)
      .patch(`/api/v1/products/${product.id}`)
      .set(admin())
      .send({ price: { amount: -5, currency: 'EUR' } })
      .expect(400);
    // A later change is published; had the others been, they would have arrived before it.
    await request(ctx.testApp.server)
      .patch(`/api/v1/products/${product.id}`)
      .set(admin())
      .send({ name: 'Renamed' })
      .expect(200);
    const events = await eventsAbout(product.id, 2);
    expect(events.map((event) => event.data['name'])).toEqual([product.name, 'Renamed']);
  });
});
