import { TestApp } from '@emporium/platform/test-app';
import { ChannelModel, connect } from 'amqplib';
import request from 'supertest';
import { DataSource } from 'typeorm';

import { registration, startAuthApp } from './auth-app';

interface Envelope {
  id: string;
  type: string;
  source: string;
  subject: string;
  data: Record<string, unknown>;
}

let testApp: TestApp;
let connection: ChannelModel;
const received: { body: Envelope; raw: string }[] = [];
const adminEmail = 'bootstrap-admin@example.com';

async function eventsAbout(subject: string, count: number): Promise<Envelope[]> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const events = received.filter((event) => event.body.subject === subject).map((event) => event.body);
    if (events.length >= count) return events;
    if (Date.now() > deadline)
      throw new Error(`Expected ${count} events about ${subject}, got ${events.length}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

beforeAll(async () => {
  testApp = await startAuthApp({
    OUTBOX_POLL_MS: '200',
    AUTH_ADMIN_EMAIL: adminEmail,
    AUTH_ADMIN_PASSWORD: 'bootstrap-admin-password',
  });
  const vhost = testApp.vhost;
  if (!vhost) throw new Error('the auth test app has no broker vhost');
  connection = await connect(vhost.url);
  const channel = await connection.createChannel();
  await channel.assertExchange('auth.events', 'topic', { durable: true });
  const { queue } = await channel.assertQueue('', { exclusive: true });
  await channel.bindQueue(queue, 'auth.events', '#');
  await channel.consume(queue, (message) => {
    if (!message) return;
    const raw = message.content.toString();
    received.push({ body: JSON.parse(raw) as Envelope, raw });
  });
});

afterAll(async () => {
  await connection?.close();
  await testApp?.close();
});

describe('user.registered (published through the outbox with the credentials)', () => {
  it('is published once per registration, with the profile facts and no credential', async () => {
    const body = registration();
    const response = await request(testApp.server).post('/api/v1/auth/register').send(body).expect(201);
    const { userId } = response.body as { userId: string };

    const [event] = await eventsAbout(userId, 1);
    expect(event).toMatchObject({
      type: 'user.registered',
      source: 'auth',
      subject: userId,
      data: { userId, email: body.email, name: body.name },
    });
    expect(Object.keys(event.data).sort()).toEqual(['email', 'name', 'userId']);
    const raw = received.find((entry) => entry.body.subject === userId)?.raw ?? '';
    expect(raw).not.toContain(body.password);
    expect(raw).not.toMatch(/argon2/);
  });

  it('is not published for a registration that fails (the e-mail is taken)', async () => {
    const body = registration();
    const first = await request(testApp.server).post('/api/v1/auth/register').send(body).expect(201);
    await request(testApp.server)
      .post('/api/v1/auth/register')
      .send({ ...body, name: 'Impostor' })
      .expect(409);
    // A later registration's event arrives after anything the failed one could have published.
    const later = await request(testApp.server)
      .post('/api/v1/auth/register')
      .send(registration())
      .expect(201);
    await eventsAbout((later.body as { userId: string }).userId, 1);
    const aboutEmail = received.filter((entry) => entry.body.data['email'] === body.email);
    expect(aboutEmail.map((entry) => entry.body.subject)).toEqual([
      (first.body as { userId: string }).userId,
    ]);
  });

  it('is written for the bootstrap admin too, so the admin has a profile', async () => {
    // The admin is created at start-up, before this test's observer queue existed: read the outbox.
    const rows = (await testApp.app
      .get(DataSource)
      .query(
        `SELECT routing_key, envelope->'data'->>'userId' AS user_id FROM auth.outbox WHERE envelope->'data'->>'email' = $1`,
        [adminEmail],
      )) as { routing_key: string; user_id: string }[];
    expect(rows).toEqual([
      { routing_key: 'user.registered', user_id: expect.stringMatching(/^[0-9a-f-]{36}$/) },
    ]);
  });
});
