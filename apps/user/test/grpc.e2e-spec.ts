import { randomUUID } from 'node:crypto';

import { UserMessage } from '@emporium/contracts';
import { status } from '@grpc/grpc-js';
import { DataSource } from 'typeorm';

import { ProfileView } from '../src/profiles/dto/profile.view';
import { forbiddenKeysIn } from './expectations';
import { CallFailure, HealthClient, ReflectionClient } from './grpc-clients';
import { Actor, addressInput, startUserApp, uniqueEmail, UserTestContext } from './user-app';

let ctx: UserTestContext;
let admin: Actor;
const asAdmin = () => ({ token: admin.token });

beforeAll(async () => {
  ctx = await startUserApp();
  admin = await ctx.admin();
});

afterAll(async () => {
  await ctx?.close();
});

const failureOf = (promise: Promise<unknown>): Promise<CallFailure> =>
  promise.then(
    () => {
      throw new Error('the call succeeded');
    },
    (error: unknown) => error as CallFailure,
  );

/** A length-delimited protobuf field (number < 16, value < 128 bytes: one-byte key and length). */
function stringField(number: number, value: string): Buffer {
  const bytes = Buffer.from(value, 'utf8');
  return Buffer.concat([Buffer.from([(number << 3) | 2, bytes.length]), bytes]);
}

const TIMESTAMP = { seconds: expect.stringMatching(/^\d{10}$/), nanos: expect.any(Number) };

describe('UserService', () => {
  it('CreateUser (admin) creates a profile that GetUser and the REST API then answer', async () => {
    const id = randomUUID();
    const email = uniqueEmail();
    const created = await ctx.grpc.call(
      'CreateUser',
      { id, email: email.toUpperCase(), name: 'Created' },
      asAdmin(),
    );
    expect(created).toEqual({ id, email, name: 'Created', createdAt: TIMESTAMP, updatedAt: TIMESTAMP });
    await expect(ctx.grpc.call('GetUser', { id }, asAdmin())).resolves.toEqual(created);
    const rest = (
      await ctx.http().get(`/api/v1/users/${id}`).auth(admin.token, { type: 'bearer' }).expect(200)
    ).body as ProfileView;
    expect(rest).toMatchObject({ id, email, name: 'Created' });
    expect(Number(created.createdAt.seconds) * 1000 + created.createdAt.nanos / 1e6).toBe(
      Date.parse(rest.createdAt),
    );
  });

  it('CreateUser answers ALREADY_EXISTS for a taken id (PROFILE_EXISTS) or address (EMAIL_TAKEN)', async () => {
    const user = await ctx.customer();
    const takenId = await failureOf(
      ctx.grpc.call('CreateUser', { id: user.id, email: uniqueEmail(), name: 'Again' }, asAdmin()),
    );
    expect(takenId).toMatchObject({
      code: status.ALREADY_EXISTS,
      trailers: { 'error-code': 'PROFILE_EXISTS' },
    });
    const takenEmail = await failureOf(
      ctx.grpc.call(
        'CreateUser',
        { id: randomUUID(), email: user.email.toUpperCase(), name: 'Twin' },
        asAdmin(),
      ),
    );
    expect(takenEmail).toMatchObject({
      code: status.ALREADY_EXISTS,
      trailers: { 'error-code': 'EMAIL_TAKEN' },
    });
  });

  it('GetUser lets a customer read their own profile', async () => {
    const user = await ctx.customer({ name: 'Self' });
    await expect(ctx.grpc.call('GetUser', { id: user.id }, { token: user.token })).resolves.toMatchObject({
      id: user.id,
      email: user.email,
      name: 'Self',
    });
  });

  it('UpdateUser renames, as PATCH /users/me does', async () => {
    const user = await ctx.customer();
    const updated = await ctx.grpc.call(
      'UpdateUser',
      { id: user.id, name: 'Renamed over gRPC' },
      { token: user.token },
    );
    expect(updated).toMatchObject({ id: user.id, email: user.email, name: 'Renamed over gRPC' });
    const rest = await ctx.http().get('/api/v1/users/me').auth(user.token, { type: 'bearer' }).expect(200);
    expect((rest.body as ProfileView).name).toBe('Renamed over gRPC');
  });

  it("UpdateUser ignores the seeds' e-mail field (3) and any other unknown field: the address follows auth", async () => {
    const user = await ctx.customer();
    // What a client built from the seeds' .proto puts on the wire: `string email = 3`, plus a field 7.
    const serialize = (request: object): Buffer =>
      Buffer.concat([
        ctx.grpc.encode('UpdateUser', request),
        stringField(3, 'attacker@example.test'),
        stringField(7, 'admin'),
      ]);
    const updated = await ctx.grpc.call(
      'UpdateUser',
      { id: user.id, name: 'Still me' },
      { token: user.token, serialize },
    );
    expect(updated).toMatchObject({ id: user.id, email: user.email, name: 'Still me' });
    const rest = await ctx.http().get('/api/v1/users/me').auth(user.token, { type: 'bearer' }).expect(200);
    expect((rest.body as ProfileView).email).toBe(user.email);
  });

  it('DeleteUser (admin) deletes the profile and its addresses; the account can still prove who it is', async () => {
    const user = await ctx.customer();
    await ctx
      .http()
      .post('/api/v1/users/me/addresses')
      .auth(user.token, { type: 'bearer' })
      .send(addressInput())
      .expect(201);
    await expect(ctx.grpc.call('DeleteUser', { id: user.id }, asAdmin())).resolves.toEqual({});
    expect(await failureOf(ctx.grpc.call('GetUser', { id: user.id }, asAdmin()))).toMatchObject({
      code: status.NOT_FOUND,
      trailers: { 'error-code': 'PROFILE_NOT_FOUND' },
    });
    // Credentials stay with auth: the token still authenticates; there is simply no profile any more.
    const addresses = await ctx.http().get('/api/v1/users/me/addresses').auth(user.token, { type: 'bearer' });
    expect(addresses.status).toBe(404);
    expect(await failureOf(ctx.grpc.call('DeleteUser', { id: user.id }, asAdmin()))).toMatchObject({
      code: status.NOT_FOUND,
    });
  });

  it('ListUsers pages through every profile, newest first, with page tokens the REST API also reads', async () => {
    const created: Actor[] = [];
    for (let i = 0; i < 5; i += 1) created.push(await ctx.customer());
    const seen: UserMessage[] = [];
    let pageToken = '';
    for (let page = 0; page < 200; page += 1) {
      const answer = await ctx.grpc.call('ListUsers', { pageSize: 2, pageToken }, asAdmin());
      expect(answer.users.length).toBeLessThanOrEqual(2);
      seen.push(...answer.users);
      pageToken = answer.nextPageToken;
      if (pageToken === '') break;
    }
    expect(pageToken).toBe('');
    const ids = seen.map((user) => user.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids.slice(0, 5)).toEqual(created.map((actor) => actor.id).reverse());

    const first = await ctx.grpc.call('ListUsers', { pageSize: 1 }, asAdmin());
    const rest = await ctx
      .http()
      .get('/api/v1/users')
      .query({ pageSize: 1, pageToken: first.nextPageToken })
      .auth(admin.token, { type: 'bearer' })
      .expect(200);
    expect((rest.body as { items: ProfileView[] }).items[0].id).toBe(ids[1]);
  });

  it('ListUsers uses the default page size (20) for 0', async () => {
    for (let i = 0; i < 21; i += 1) await ctx.customer();
    const answer = await ctx.grpc.call('ListUsers', {}, asAdmin());
    expect(answer.users).toHaveLength(20);
    expect(answer.nextPageToken).not.toBe('');
  });

  it('GetUserByEmail finds a profile case-insensitively; NOT_FOUND otherwise', async () => {
    const user = await ctx.customer();
    await expect(
      ctx.grpc.call('GetUserByEmail', { email: user.email.toUpperCase() }, asAdmin()),
    ).resolves.toMatchObject({
      id: user.id,
    });
    expect(
      await failureOf(ctx.grpc.call('GetUserByEmail', { email: uniqueEmail() }, asAdmin())),
    ).toMatchObject({
      code: status.NOT_FOUND,
      trailers: { 'error-code': 'PROFILE_NOT_FOUND' },
    });
  });

  it('answers no credential, hash, token, card or roles field', async () => {
    const user = await ctx.customer();
    const answers = [
      await ctx.grpc.call('GetUser', { id: user.id }, asAdmin()),
      await ctx.grpc.call('UpdateUser', { id: user.id, name: 'Plain' }, { token: user.token }),
      await ctx.grpc.call('ListUsers', { pageSize: 5 }, asAdmin()),
      await ctx.grpc.call('GetUserByEmail', { email: user.email }, asAdmin()),
    ];
    expect(answers.flatMap((answer) => forbiddenKeysIn(answer))).toEqual([]);
  });
});

describe('invalid requests: INVALID_ARGUMENT naming the field, by the REST rules', () => {
  it.each<
    [
      string,
      'GetUser' | 'UpdateUser' | 'CreateUser' | 'DeleteUser' | 'ListUsers' | 'GetUserByEmail',
      object,
      string,
    ]
  >([
    ['a malformed id', 'GetUser', { id: 'not-a-uuid' }, 'id'],
    ['no id', 'GetUser', {}, 'id'],
    ['an injection attempt as id', 'DeleteUser', { id: "1' OR '1'='1" }, 'id'],
    ['an empty name', 'UpdateUser', { id: randomUUID(), name: '' }, 'name'],
    ['a blank name', 'UpdateUser', { id: randomUUID(), name: '   ' }, 'name'],
    ['a name over 100 characters', 'UpdateUser', { id: randomUUID(), name: 'n'.repeat(101) }, 'name'],
    ['a name with a line break', 'UpdateUser', { id: randomUUID(), name: 'a\nb' }, 'name'],
    [
      'a malformed e-mail address',
      'CreateUser',
      { id: randomUUID(), name: 'Refused', email: 'nope' },
      'email',
    ],
    ['a missing e-mail address', 'CreateUser', { id: randomUUID(), name: 'Refused' }, 'email'],
    ['a page size over 100', 'ListUsers', { pageSize: 101 }, 'pageSize'],
    ['a negative page size', 'ListUsers', { pageSize: -1 }, 'pageSize'],
    ['an over-long page token', 'ListUsers', { pageToken: 't'.repeat(600) }, 'pageToken'],
    ['a malformed e-mail to look up', 'GetUserByEmail', { email: 'nope' }, 'email'],
  ])('%s', async (_, method, request, field) => {
    const failure = await failureOf(ctx.grpc.call(method, request, asAdmin()));
    expect(failure).toMatchObject({
      code: status.INVALID_ARGUMENT,
      trailers: { 'error-code': 'VALIDATION_FAILED' },
    });
    expect(failure.details).toContain(`${field}: `);
  });

  it('a forged page token is INVALID_ARGUMENT (INVALID_PAGE_TOKEN)', async () => {
    expect(await failureOf(ctx.grpc.call('ListUsers', { pageToken: 'garbage' }, asAdmin()))).toMatchObject({
      code: status.INVALID_ARGUMENT,
      trailers: { 'error-code': 'INVALID_PAGE_TOKEN' },
    });
  });

  it('nothing was created by the refused CreateUser calls', async () => {
    const rows = (await ctx.testApp.app
      .get(DataSource)
      .query(`SELECT count(*)::int AS n FROM "user".profiles WHERE name = 'Refused'`)) as { n: number }[];
    expect(rows[0].n).toBe(0);
  });
});

describe('request ids', () => {
  it('echoes x-request-id in the response headers, and in the trailers of a failure', async () => {
    const { headers } = await ctx.grpc.callWithHeaders(
      'GetUser',
      { id: admin.id },
      { ...asAdmin(), requestId: 'grpc-e2e-1' },
    );
    expect(headers['x-request-id']).toBe('grpc-e2e-1');
    const failure = await failureOf(ctx.grpc.call('GetUser', { id: admin.id }, { requestId: 'grpc-e2e-2' }));
    expect(failure.trailers['x-request-id']).toBe('grpc-e2e-2');
  });

  it('generates one when none (or a malformed one) is sent', async () => {
    const failure = await failureOf(
      ctx.grpc.call('GetUser', { id: admin.id }, { requestId: 'bad id with spaces' }),
    );
    expect(failure.trailers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
  });
});

describe('health and reflection', () => {
  let health: HealthClient;
  let reflection: ReflectionClient;

  beforeAll(() => {
    health = new HealthClient(ctx.grpcPort);
    reflection = new ReflectionClient(ctx.grpcPort);
  });

  afterAll(() => {
    health.close();
    reflection.close();
  });

  it('reports SERVING for the server and for the UserService, without a token', async () => {
    await expect(health.check('')).resolves.toBe('SERVING');
    await expect(health.check('emporium.user.v1.UserService')).resolves.toBe('SERVING');
  });

  it('answers NOT_FOUND for a service it does not serve', async () => {
    await expect(health.check('emporium.product.v1.ProductService')).rejects.toMatchObject({
      code: status.NOT_FOUND,
    });
  });

  it('lists the UserService and the health service through reflection', async () => {
    await expect(reflection.listServices()).resolves.toEqual(
      expect.arrayContaining(['emporium.user.v1.UserService', 'grpc.health.v1.Health']),
    );
  });

  it('describes the UserService (as grpcurl describe does) with its fields as the .proto names them', async () => {
    const files = (await reflection.filesContaining('emporium.user.v1.UserService')).map((file) =>
      file.toString('latin1'),
    );
    expect(files[0]).toContain('emporium.user.v1');
    expect(files[0]).toContain('GetUserByEmail');
    expect(files[0]).toContain('created_at');
    expect(files[0]).toContain('next_page_token');
    // The well-known types it uses come along.
    expect(files.join('')).toContain('google.protobuf');
    expect(files.join('')).toContain('Timestamp');
  });
});

describe('metrics', () => {
  it('counts calls by service, method and status code on /metrics', async () => {
    await ctx.grpc.call('GetUser', { id: admin.id }, asAdmin());
    await failureOf(ctx.grpc.call('GetUser', { id: admin.id }));
    const metrics = await ctx.http().get('/metrics').expect(200);
    expect(metrics.text).toMatch(
      /grpc_server_handled_total\{grpc_service="emporium\.user\.v1\.UserService",grpc_method="GetUser",grpc_code="OK"\} [1-9]/,
    );
    expect(metrics.text).toMatch(/grpc_method="GetUser",grpc_code="UNAUTHENTICATED"\} [1-9]/);
    expect(metrics.text).toContain('grpc_server_handling_seconds_bucket');
  });
});
