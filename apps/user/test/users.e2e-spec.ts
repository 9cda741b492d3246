import { randomUUID } from 'node:crypto';

import { DataSource } from 'typeorm';

import { AddressPage, AddressView } from '../src/addresses/dto/address.view';
import { ProfilePage, ProfileView } from '../src/profiles/dto/profile.view';
import { expectProblem, forbiddenKeysIn, ProblemBody } from './expectations';
import { Actor, addressInput, startUserApp, uniqueEmail, UserTestContext } from './user-app';

let ctx: UserTestContext;
const http = () => ctx.http();
const bearer = (actor: Actor) => ({ Authorization: `Bearer ${actor.token}` });
const ISO_TIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;

beforeAll(async () => {
  ctx = await startUserApp();
});

afterAll(async () => {
  await ctx?.close();
});

async function addressCount(userId: string): Promise<number> {
  const rows = (await ctx.testApp.app
    .get(DataSource)
    .query('SELECT count(*)::int AS n FROM "user".addresses WHERE user_id = $1', [userId])) as {
    n: number;
  }[];
  return rows[0].n;
}

async function addAddress(actor: Actor, overrides: Record<string, unknown> = {}): Promise<AddressView> {
  const response = await http()
    .post('/api/v1/users/me/addresses')
    .set(bearer(actor))
    .send(addressInput(overrides))
    .expect(201);
  return response.body as AddressView;
}

describe('GET /api/v1/users/me', () => {
  it("answers the caller's profile", async () => {
    const ada = await ctx.customer({ name: 'Ada Lovelace' });
    const response = await http().get('/api/v1/users/me').set(bearer(ada)).expect(200);
    expect(response.body).toEqual({
      id: ada.id,
      email: ada.email,
      name: 'Ada Lovelace',
      createdAt: expect.stringMatching(ISO_TIME),
      updatedAt: expect.stringMatching(ISO_TIME),
    });
  });

  it('answers 404 PROFILE_NOT_FOUND while the registration event has not been consumed', async () => {
    const token = await ctx.issuer.mint({ sub: randomUUID(), roles: ['customer'] });
    const response = await http().get('/api/v1/users/me').auth(token, { type: 'bearer' }).expect(404);
    expectProblem(response.body, 404, 'PROFILE_NOT_FOUND');
  });

  it('answers 401 with a bearer challenge without a token', async () => {
    const response = await http().get('/api/v1/users/me').expect(401);
    expectProblem(response.body, 401);
    expect(response.headers['www-authenticate']).toBe('Bearer');
  });
});

describe('PATCH /api/v1/users/me', () => {
  it('renames the profile, and nothing else changes', async () => {
    const user = await ctx.customer();
    const before = (await http().get('/api/v1/users/me').set(bearer(user)).expect(200)).body as ProfileView;
    const response = await http()
      .patch('/api/v1/users/me')
      .set(bearer(user))
      .send({ name: 'Grace Hopper' })
      .expect(200);
    const after = response.body as ProfileView;
    expect(after).toMatchObject({
      id: user.id,
      email: user.email,
      name: 'Grace Hopper',
      createdAt: before.createdAt,
    });
    expect(Date.parse(after.updatedAt)).toBeGreaterThanOrEqual(Date.parse(before.updatedAt));
    await http().get('/api/v1/users/me').set(bearer(user)).expect(200, after);
  });

  it('answers an empty change with the profile as it is', async () => {
    const user = await ctx.customer();
    const current = (await http().get('/api/v1/users/me').set(bearer(user)).expect(200)).body as ProfileView;
    await http().patch('/api/v1/users/me').set(bearer(user)).send({}).expect(200, current);
  });

  // Mass assignment: the e-mail address follows auth, roles live in auth, ids and times are the server's.
  it.each([
    ['roles', { roles: ['admin'] }],
    ['email', { email: 'someone.else@example.test' }],
    ['id', { id: randomUUID() }],
    ['userId', { userId: randomUUID() }],
    ['createdAt', { createdAt: '2000-01-01T00:00:00.000Z' }],
    ['updatedAt', { updatedAt: '2000-01-01T00:00:00.000Z' }],
    ['password', { password: 'hunter22-hunter22' }],
    ['roles', { name: 'Sneaky', roles: ['admin'] }],
  ])('refuses %s with a 400 naming it, changing nothing', async (field, body) => {
    const user = await ctx.customer();
    const before = (await http().get('/api/v1/users/me').set(bearer(user)).expect(200)).body as ProfileView;
    const response = await http().patch('/api/v1/users/me').set(bearer(user)).send(body).expect(400);
    expectProblem(response.body, 400, 'VALIDATION_FAILED');
    expect((response.body as ProblemBody).errors?.map((error) => error.field)).toContain(field);
    await http().get('/api/v1/users/me').set(bearer(user)).expect(200, before);
  });

  it.each([
    ['an empty name', ''],
    ['a blank name', '   '],
    ['a name over 100 characters', 'n'.repeat(101)],
    ['a name with a line break', 'Ada\nLovelace'],
    ['a name with a NUL', 'Ada\u0000'],
    ['a number', 42],
    ['an object', { $ne: null }],
  ])('refuses %s with a 400 naming the field', async (_, name) => {
    const user = await ctx.customer();
    const response = await http().patch('/api/v1/users/me').set(bearer(user)).send({ name }).expect(400);
    expectProblem(response.body, 400, 'VALIDATION_FAILED');
    expect((response.body as ProblemBody).errors?.map((error) => error.field)).toEqual(
      expect.arrayContaining(['name']),
    );
  });

  it('accepts a name of exactly 100 characters, in any script', async () => {
    const user = await ctx.customer();
    const name = `${'名'.repeat(50)}${'é'.repeat(50)}`;
    const response = await http().patch('/api/v1/users/me').set(bearer(user)).send({ name }).expect(200);
    expect((response.body as ProfileView).name).toBe(name);
  });

  it('answers 404 PROFILE_NOT_FOUND when there is no profile yet', async () => {
    const token = await ctx.issuer.mint({ sub: randomUUID(), roles: ['customer'] });
    const response = await http()
      .patch('/api/v1/users/me')
      .auth(token, { type: 'bearer' })
      .send({ name: 'x' });
    expect(response.status).toBe(404);
    expectProblem(response.body, 404, 'PROFILE_NOT_FOUND');
  });
});

describe('/api/v1/users/me/addresses', () => {
  it('adds an address: 201, Location, the stored shape; readable there and in the list', async () => {
    const user = await ctx.customer();
    const response = await http()
      .post('/api/v1/users/me/addresses')
      .set(bearer(user))
      .send(addressInput({ line2: 'Apt 4', country: 'DE', postalCode: '10115' }))
      .expect(201);
    const address = response.body as AddressView;
    expect(address).toEqual({
      id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      line1: '1 Main Street',
      line2: 'Apt 4',
      city: 'Springfield',
      postalCode: '10115',
      country: 'DE',
    });
    expect(response.headers['location']).toBe(`/api/v1/users/me/addresses/${address.id}`);
    await http()
      .get(response.headers['location'] as string)
      .set(bearer(user))
      .expect(200, address);
    const list = await http().get('/api/v1/users/me/addresses').set(bearer(user)).expect(200);
    expect(list.body).toEqual({ items: [address], nextPageToken: null });
  });

  it('leaves line2 out when it was not given', async () => {
    const user = await ctx.customer();
    const address = await addAddress(user);
    expect(Object.keys(address).sort()).toEqual(['city', 'country', 'id', 'line1', 'postalCode']);
  });

  it('lists oldest first, in pages, without gaps or duplicates', async () => {
    const user = await ctx.customer();
    const added: AddressView[] = [];
    for (let i = 0; i < 5; i += 1) added.push(await addAddress(user, { line1: `${i} Page Road` }));
    const seen: AddressView[] = [];
    let pageToken: string | null = null;
    do {
      const page: AddressPage = (
        await http()
          .get('/api/v1/users/me/addresses')
          .query({ pageSize: 2, ...(pageToken ? { pageToken } : {}) })
          .set(bearer(user))
          .expect(200)
      ).body as AddressPage;
      seen.push(...page.items);
      pageToken = page.nextPageToken;
    } while (pageToken);
    expect(seen).toEqual(added);
  });

  it('deletes an address: 204, then 404 ADDRESS_NOT_FOUND', async () => {
    const user = await ctx.customer();
    const address = await addAddress(user);
    await http().delete(`/api/v1/users/me/addresses/${address.id}`).set(bearer(user)).expect(204);
    const again = await http()
      .delete(`/api/v1/users/me/addresses/${address.id}`)
      .set(bearer(user))
      .expect(404);
    expectProblem(again.body, 404, 'ADDRESS_NOT_FOUND');
    const read = await http().get(`/api/v1/users/me/addresses/${address.id}`).set(bearer(user)).expect(404);
    expectProblem(read.body, 404, 'ADDRESS_NOT_FOUND');
  });

  it('keeps at most 20 addresses: the 21st is 409 ADDRESS_LIMIT_REACHED, and one can be added after a delete', async () => {
    const user = await ctx.customer();
    const added: AddressView[] = [];
    for (let i = 0; i < 20; i += 1) added.push(await addAddress(user, { line1: `${i} Full Street` }));
    const refused = await http()
      .post('/api/v1/users/me/addresses')
      .set(bearer(user))
      .send(addressInput())
      .expect(409);
    expectProblem(refused.body, 409, 'ADDRESS_LIMIT_REACHED');
    expect(await addressCount(user.id)).toBe(20);
    await http().delete(`/api/v1/users/me/addresses/${added[0].id}`).set(bearer(user)).expect(204);
    await addAddress(user);
  });

  it('answers 404 PROFILE_NOT_FOUND without a profile, creating nothing', async () => {
    const id = randomUUID();
    const token = await ctx.issuer.mint({ sub: id, roles: ['customer'] });
    const post = await http()
      .post('/api/v1/users/me/addresses')
      .auth(token, { type: 'bearer' })
      .send(addressInput());
    expect(post.status).toBe(404);
    expectProblem(post.body, 404, 'PROFILE_NOT_FOUND');
    const list = await http().get('/api/v1/users/me/addresses').auth(token, { type: 'bearer' }).expect(404);
    expectProblem(list.body, 404, 'PROFILE_NOT_FOUND');
    expect(await addressCount(id)).toBe(0);
  });

  const invalidBodies: [string, Record<string, unknown>, string][] = [
    ['a missing line1', { line1: undefined }, 'line1'],
    ['a blank line1', { line1: '  ' }, 'line1'],
    ['an over-long line1', { line1: 'l'.repeat(201) }, 'line1'],
    ['a line1 with a line break', { line1: 'a\r\nb' }, 'line1'],
    ['an over-long line2', { line2: 'l'.repeat(201) }, 'line2'],
    ['an empty line2', { line2: '' }, 'line2'],
    ['a missing city', { city: undefined }, 'city'],
    ['an over-long city', { city: 'c'.repeat(101) }, 'city'],
    ['a postal code with symbols', { postalCode: '12$45' }, 'postalCode'],
    ['an over-long postal code', { postalCode: '1'.repeat(21) }, 'postalCode'],
    ['a numeric postal code', { postalCode: 12345 }, 'postalCode'],
    ['a lower-case country', { country: 'us' }, 'country'],
    ['an unassigned country code', { country: 'XX' }, 'country'],
    ['an alpha-3 country code', { country: 'USA' }, 'country'],
    ['a missing country', { country: undefined }, 'country'],
    ['an id from the client', { id: randomUUID() }, 'id'],
    ['an owner from the client', { userId: randomUUID() }, 'userId'],
    ['an ownerId from the client', { ownerId: randomUUID() }, 'ownerId'],
  ];

  it.each(invalidBodies)(
    'refuses %s with a 400 naming the field, adding nothing',
    async (_, overrides, field) => {
      const user = await ctx.customer();
      const response = await http()
        .post('/api/v1/users/me/addresses')
        .set(bearer(user))
        .send(addressInput(overrides))
        .expect(400);
      expectProblem(response.body, 400, 'VALIDATION_FAILED');
      expect((response.body as ProblemBody).errors?.map((error) => error.field)).toContain(field);
      expect(await addressCount(user.id)).toBe(0);
    },
  );

  it.each(['not-a-uuid', '1', "1' OR '1'='1", 'a'.repeat(300)])(
    'answers 4xx, never 5xx, for the malformed address id %p',
    async (id) => {
      const user = await ctx.customer();
      const response = await http().get(`/api/v1/users/me/addresses/${id}`).set(bearer(user));
      expect(response.status).toBeGreaterThanOrEqual(400);
      expect(response.status).toBeLessThan(500);
      expectProblem(response.body, response.status);
    },
  );
});

describe('GET /api/v1/users (admin)', () => {
  async function collectAll(admin: Actor, pageSize: number): Promise<ProfileView[]> {
    const seen: ProfileView[] = [];
    let pageToken: string | null = null;
    for (let page = 0; page < 500; page += 1) {
      const body = (
        await http()
          .get('/api/v1/users')
          .query({ pageSize, ...(pageToken ? { pageToken } : {}) })
          .set(bearer(admin))
          .expect(200)
      ).body as ProfilePage;
      seen.push(...body.items);
      pageToken = body.nextPageToken;
      if (!pageToken) return seen;
    }
    throw new Error('pagination did not end');
  }

  it('pages through every profile, newest first, without gaps or duplicates', async () => {
    const admin = await ctx.admin();
    const created: Actor[] = [];
    for (let i = 0; i < 5; i += 1) created.push(await ctx.customer());
    const seen = await collectAll(admin, 2);
    const ids = seen.map((profile) => profile.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids.slice(0, 5)).toEqual(created.map((actor) => actor.id).reverse());
    expect(ids).toContain(admin.id);
  });

  it('finds one profile by e-mail address, case-insensitively, as a page of one', async () => {
    const admin = await ctx.admin();
    const user = await ctx.customer();
    const response = await http()
      .get('/api/v1/users')
      .query({ email: user.email.toUpperCase() })
      .set(bearer(admin))
      .expect(200);
    expect(response.body).toEqual({
      items: [expect.objectContaining({ id: user.id, email: user.email })],
      nextPageToken: null,
    });
  });

  it('answers an empty page for an unknown address', async () => {
    const admin = await ctx.admin();
    await http()
      .get('/api/v1/users')
      .query({ email: uniqueEmail() })
      .set(bearer(admin))
      .expect(200, { items: [], nextPageToken: null });
  });

  it.each([
    [{ email: 'not-an-address' }, 'email'],
    [{ email: `${'a'.repeat(250)}@example.test` }, 'email'],
    [{ pageSize: 0 }, 'pageSize'],
    [{ pageSize: 101 }, 'pageSize'],
    [{ role: 'admin' }, 'role'],
  ])('refuses the query %p with a 400 naming %s', async (query, field) => {
    const admin = await ctx.admin();
    const response = await http().get('/api/v1/users').query(query).set(bearer(admin)).expect(400);
    expect((response.body as ProblemBody).errors?.map((error) => error.field)).toContain(field);
  });

  it('refuses a forged page token, and a token reused with an e-mail filter', async () => {
    const admin = await ctx.admin();
    await ctx.customer();
    const page = (await http().get('/api/v1/users').query({ pageSize: 1 }).set(bearer(admin)).expect(200))
      .body as ProfilePage;
    expect(page.nextPageToken).toEqual(expect.any(String));
    const reused = await http()
      .get('/api/v1/users')
      .query({ pageToken: page.nextPageToken as string, email: admin.email })
      .set(bearer(admin))
      .expect(400);
    expectProblem(reused.body, 400, 'INVALID_PAGE_TOKEN');
    const forged = await http()
      .get('/api/v1/users')
      .query({ pageToken: 'garbage' })
      .set(bearer(admin))
      .expect(400);
    expectProblem(forged.body, 400, 'INVALID_PAGE_TOKEN');
  });
});

describe('GET /api/v1/users/{id} (admin)', () => {
  it('answers any profile to an admin, 404 PROFILE_NOT_FOUND for an unknown id, 400 for a malformed one', async () => {
    const admin = await ctx.admin();
    const user = await ctx.customer();
    const own = (await http().get('/api/v1/users/me').set(bearer(user)).expect(200)).body as ProfileView;
    await http().get(`/api/v1/users/${user.id}`).set(bearer(admin)).expect(200, own);
    const missing = await http().get(`/api/v1/users/${randomUUID()}`).set(bearer(admin)).expect(404);
    expectProblem(missing.body, 404, 'PROFILE_NOT_FOUND');
    const malformed = await http().get('/api/v1/users/not-a-uuid').set(bearer(admin)).expect(400);
    expectProblem(malformed.body, 400);
  });
});

describe('what the API never answers', () => {
  it('no route answers with a credential, hash, token, card or roles field', async () => {
    const admin = await ctx.admin();
    const user = await ctx.customer();
    const address = await addAddress(user, { line2: 'Unit 9' });
    const bodies: unknown[] = [
      (await http().get('/api/v1/users/me').set(bearer(user))).body,
      (await http().patch('/api/v1/users/me').set(bearer(user)).send({ name: 'Renamed' })).body,
      (await http().get('/api/v1/users/me/addresses').set(bearer(user))).body,
      (await http().get(`/api/v1/users/me/addresses/${address.id}`).set(bearer(user))).body,
      (await http().get('/api/v1/users').query({ pageSize: 100 }).set(bearer(admin))).body,
      (await http().get('/api/v1/users').query({ email: user.email }).set(bearer(admin))).body,
      (await http().get(`/api/v1/users/${user.id}`).set(bearer(admin))).body,
      (await http().patch('/api/v1/users/me').set(bearer(user)).send({ password: 'hunter22-hunter22' })).body,
      (await http().get('/api/v1/users/me').auth('forged.token.value', { type: 'bearer' })).body,
    ];
    expect(bodies.flatMap((body) => forbiddenKeysIn(body))).toEqual([]);
    expect(JSON.stringify(bodies)).not.toContain('hunter22');
    expect(JSON.stringify(bodies)).not.toContain(user.token);
  });
});
