import { randomUUID } from 'node:crypto';

import { status } from '@grpc/grpc-js';

import { AddressPage, AddressView } from '../src/addresses/dto/address.view';
import { ProfilePage, ProfileView } from '../src/profiles/dto/profile.view';
import { CallFailure, USER_CALLS } from './grpc-clients';
import { Actor, addressInput, startUserApp, uniqueEmail, UserTestContext } from './user-app';

// Broken object-level authorization, route by route: customer A, customer B, an admin and an anonymous
// caller against everything the user service serves, over REST and gRPC. Another customer's objects are
// 404 / NOT_FOUND (indistinguishable from missing ones), admin-only operations 403 / PERMISSION_DENIED,
// and no token 401 / UNAUTHENTICATED.

type Who = 'anonymous' | 'A' | 'B' | 'admin';
const EVERYONE: Who[] = ['anonymous', 'A', 'B', 'admin'];

let ctx: UserTestContext;
let a: Actor;
let b: Actor;
let admin: Actor;
/** One of A's addresses, which nobody but A may see or delete. */
let aAddress: AddressView;

beforeAll(async () => {
  ctx = await startUserApp();
  a = await ctx.customer({ name: 'Customer A' });
  b = await ctx.customer({ name: 'Customer B' });
  admin = await ctx.admin();
  aAddress = (
    await ctx
      .http()
      .post('/api/v1/users/me/addresses')
      .auth(a.token, { type: 'bearer' })
      .send(addressInput({ line1: "A's secret hideout" }))
      .expect(201)
  ).body as AddressView;
});

afterAll(async () => {
  await ctx?.close();
});

const actor = (who: Who): Actor | undefined => ({ anonymous: undefined, A: a, B: b, admin })[who];

function rest(who: Who, method: 'get' | 'post' | 'patch' | 'delete', path: string, body?: object) {
  let test = ctx.http()[method](path);
  const caller = actor(who);
  if (caller) test = test.auth(caller.token, { type: 'bearer' });
  return body ? test.send(body) : test;
}

async function expectAIntact(): Promise<void> {
  const profile = (await rest('A', 'get', '/api/v1/users/me').expect(200)).body as ProfileView;
  expect(profile.name).toBe('Customer A');
  await rest('A', 'get', `/api/v1/users/me/addresses/${aAddress.id}`).expect(200, aAddress);
}

describe('REST', () => {
  // [route, method, path, body, expected status for anonymous / A / B / admin]
  const routes: [string, 'get' | 'post' | 'patch' | 'delete', () => string, object | undefined, number[]][] =
    [
      ['GET /users/me', 'get', () => '/api/v1/users/me', undefined, [401, 200, 200, 200]],
      ['GET /users/me/addresses', 'get', () => '/api/v1/users/me/addresses', undefined, [401, 200, 200, 200]],
      [
        'GET /users/me/addresses/{A}',
        'get',
        () => `/api/v1/users/me/addresses/${aAddress.id}`,
        undefined,
        [401, 200, 404, 404],
      ],
      ['GET /users', 'get', () => '/api/v1/users', undefined, [401, 403, 403, 200]],
      [
        'GET /users?email={A}',
        'get',
        () => `/api/v1/users?email=${encodeURIComponent(a.email)}`,
        undefined,
        [401, 403, 403, 200],
      ],
      ['GET /users/{A}', 'get', () => `/api/v1/users/${a.id}`, undefined, [401, 403, 403, 200]],
      ['GET /users/{B}', 'get', () => `/api/v1/users/${b.id}`, undefined, [401, 403, 403, 200]],
    ];

  describe.each(routes)('%s', (_, method, path, body, expected) => {
    it.each(EVERYONE.map((who, index) => [who, expected[index]] as const))('%s: %i', async (who, code) => {
      const response = await rest(who, method, path(), body);
      expect(response.status).toBe(code);
      if (code >= 400) expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
    });
  });

  it('/users/me is always the caller: each customer and the admin see their own profile', async () => {
    for (const who of ['A', 'B', 'admin'] as const) {
      const profile = (await rest(who, 'get', '/api/v1/users/me').expect(200)).body as ProfileView;
      expect(profile.id).toBe(actor(who)?.id);
    }
  });

  it("B's and the admin's address lists do not hold A's address", async () => {
    for (const who of ['B', 'admin'] as const) {
      const page = (await rest(who, 'get', '/api/v1/users/me/addresses').expect(200)).body as AddressPage;
      expect(page.items.map((address) => address.id)).not.toContain(aAddress.id);
    }
    const own = (await rest('A', 'get', '/api/v1/users/me/addresses').expect(200)).body as AddressPage;
    expect(own.items).toEqual([aAddress]);
  });

  it("answers B's request for A's address exactly as for an address that does not exist", async () => {
    const theirs = await rest('B', 'get', `/api/v1/users/me/addresses/${aAddress.id}`).expect(404);
    const missing = await rest('B', 'get', `/api/v1/users/me/addresses/${randomUUID()}`).expect(404);
    const shape = (body: { code: string; title: string; status: number }) => ({
      code: body.code,
      title: body.title,
      status: body.status,
    });
    expect(shape(theirs.body as never)).toEqual(shape(missing.body as never));
    expect(JSON.stringify(theirs.body)).not.toContain(a.id);
  });

  it("B and the admin cannot delete A's address (404); A can, afterwards", async () => {
    for (const who of ['B', 'admin'] as const) {
      await rest(who, 'delete', `/api/v1/users/me/addresses/${aAddress.id}`).expect(404);
    }
    await rest('anonymous', 'delete', `/api/v1/users/me/addresses/${aAddress.id}`).expect(401);
    await expectAIntact();
  });

  it('PATCH /users/me changes only the caller: 401 anonymous, and A stays as it was', async () => {
    await rest('anonymous', 'patch', '/api/v1/users/me', { name: 'Mallory' }).expect(401);
    const renamed = (await rest('B', 'patch', '/api/v1/users/me', { name: 'B renamed' }).expect(200))
      .body as ProfileView;
    expect(renamed.id).toBe(b.id);
    await rest('B', 'patch', '/api/v1/users/me', { id: a.id, name: 'Mallory' }).expect(400);
    await expectAIntact();
  });

  it("POST /users/me/addresses adds to the caller's book only: 401 anonymous, an owner field is refused", async () => {
    await rest('anonymous', 'post', '/api/v1/users/me/addresses', addressInput()).expect(401);
    await rest('B', 'post', '/api/v1/users/me/addresses', addressInput({ userId: a.id })).expect(400);
    const added = (await rest('B', 'post', '/api/v1/users/me/addresses', addressInput()).expect(201))
      .body as AddressView;
    await rest('A', 'get', `/api/v1/users/me/addresses/${added.id}`).expect(404);
    const own = (await rest('A', 'get', '/api/v1/users/me/addresses').expect(200)).body as AddressPage;
    expect(own.items).toEqual([aAddress]);
  });

  it('the admin lists and finds every profile, a customer none', async () => {
    const page = (
      await rest('admin', 'get', `/api/v1/users?email=${encodeURIComponent(b.email)}`).expect(200)
    ).body as ProfilePage;
    expect(page.items.map((profile) => profile.id)).toEqual([b.id]);
  });
});

describe('gRPC', () => {
  const call = (who: Who, method: (typeof USER_CALLS)[number], request: object): Promise<unknown> =>
    ctx.grpc.call(method, request, actor(who) ? { token: actor(who)?.token } : {});

  const codeOf = async (promise: Promise<unknown>): Promise<number> => {
    try {
      await promise;
      return status.OK;
    } catch (error) {
      return (error as CallFailure).code;
    }
  };

  const { OK, UNAUTHENTICATED, NOT_FOUND, PERMISSION_DENIED } = status;
  // [call, request, expected code for anonymous / A / B / admin]
  const calls: [(typeof USER_CALLS)[number], () => object, number[]][] = [
    ['GetUser', () => ({ id: a.id }), [UNAUTHENTICATED, OK, NOT_FOUND, OK]],
    ['UpdateUser', () => ({ id: a.id, name: 'Customer A' }), [UNAUTHENTICATED, OK, NOT_FOUND, OK]],
    ['ListUsers', () => ({ pageSize: 5 }), [UNAUTHENTICATED, PERMISSION_DENIED, PERMISSION_DENIED, OK]],
    [
      'GetUserByEmail',
      () => ({ email: a.email }),
      [UNAUTHENTICATED, PERMISSION_DENIED, PERMISSION_DENIED, OK],
    ],
    [
      'CreateUser',
      () => ({ id: randomUUID(), email: uniqueEmail(), name: 'New' }),
      [UNAUTHENTICATED, PERMISSION_DENIED, PERMISSION_DENIED, OK],
    ],
  ];

  it('covers every call of the UserService (DeleteUser below)', () => {
    expect([...calls.map(([method]) => method), 'DeleteUser'].sort()).toEqual([...USER_CALLS].sort());
  });

  describe.each(calls)('%s', (method, request, expected) => {
    it.each(EVERYONE.map((who, index) => [who, status[expected[index]], expected[index]] as const))(
      '%s: %s',
      async (who, _, code) => {
        expect(await codeOf(call(who, method, request()))).toBe(code);
        await expectAIntact();
      },
    );
  });

  it("answers B's GetUser/UpdateUser of A exactly as for a profile that does not exist", async () => {
    for (const method of ['GetUser', 'UpdateUser'] as const) {
      const theirs = (await call('B', method, { id: a.id, name: 'Mallory' }).catch(
        (e: unknown) => e,
      )) as CallFailure;
      const missing = (await call('B', method, { id: randomUUID(), name: 'Mallory' }).catch(
        (e: unknown) => e,
      )) as CallFailure;
      expect(theirs.code).toBe(NOT_FOUND);
      expect(missing.code).toBe(NOT_FOUND);
      expect(theirs.trailers['error-code']).toBe('PROFILE_NOT_FOUND');
      expect(missing.trailers['error-code']).toBe('PROFILE_NOT_FOUND');
    }
    await expectAIntact();
  });

  it('DeleteUser: anonymous UNAUTHENTICATED; customers PERMISSION_DENIED, even for themselves; the admin deletes', async () => {
    const victim = await ctx.customer();
    expect(await codeOf(call('anonymous', 'DeleteUser', { id: victim.id }))).toBe(UNAUTHENTICATED);
    expect(await codeOf(call('A', 'DeleteUser', { id: victim.id }))).toBe(PERMISSION_DENIED);
    expect(await codeOf(ctx.grpc.call('DeleteUser', { id: victim.id }, { token: victim.token }))).toBe(
      PERMISSION_DENIED,
    );
    await ctx.http().get('/api/v1/users/me').auth(victim.token, { type: 'bearer' }).expect(200);
    expect(await codeOf(call('admin', 'DeleteUser', { id: victim.id }))).toBe(OK);
    await ctx.http().get('/api/v1/users/me').auth(victim.token, { type: 'bearer' }).expect(404);
    await expectAIntact();
  });
});
