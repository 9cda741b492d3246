import { randomUUID } from 'node:crypto';

import { createTestApp, TestApp } from '@emporium/platform/test-app';
import { DataSource } from 'typeorm';

import { AppModule } from '../app/app.module';
import { USER_DATABASE, USER_SERVICE } from '../app/service';
import { ProfilesService, Registration } from './profiles.service';

describe(ProfilesService.name, () => {
  let testApp: TestApp;
  let dataSource: DataSource;
  let sut: ProfilesService;

  const registration = (overrides: Partial<Registration> = {}): Registration => {
    const userId = randomUUID();
    return { userId, email: `${userId.slice(0, 8)}@example.test`, name: 'Registered', ...overrides };
  };
  const consume = (event: Registration): Promise<boolean> =>
    dataSource.transaction((manager) => sut.createFromRegistration(manager, event));
  const profileCount = async (where = 'true', values: unknown[] = []): Promise<number> => {
    const rows = (await dataSource.query(
      `SELECT count(*)::int AS n FROM "user".profiles WHERE ${where}`,
      values,
    )) as { n: number }[];
    return rows[0].n;
  };

  beforeAll(async () => {
    testApp = await createTestApp({
      module: AppModule,
      service: USER_SERVICE,
      database: USER_DATABASE,
      broker: true,
    });
    dataSource = testApp.app.get(DataSource);
    sut = testApp.app.get(ProfilesService);
  });

  afterAll(async () => {
    await testApp?.close();
  });

  describe('createFromRegistration', () => {
    it('creates the profile once: a redelivered event changes nothing, not even a name changed since', async () => {
      const event = registration({ email: 'Mixed.Case@Example.TEST' });
      await expect(consume(event)).resolves.toBe(true);
      await sut.rename(event.userId, 'Renamed by the user');
      await expect(consume(event)).resolves.toBe(false);
      const profile = await sut.get(event.userId);
      expect(profile).toMatchObject({
        id: event.userId,
        email: 'mixed.case@example.test',
        name: 'Renamed by the user',
      });
      expect(await profileCount('id = $1', [event.userId])).toBe(1);
    });

    it('creates exactly one profile when the same event is consumed concurrently', async () => {
      const event = registration();
      const created = await Promise.all(Array.from({ length: 8 }, () => consume(event)));
      expect(created.filter(Boolean)).toHaveLength(1);
      expect(await profileCount('id = $1', [event.userId])).toBe(1);
    });

    it("is part of the caller's transaction: rolled back with it", async () => {
      const event = registration();
      await expect(
        dataSource.transaction(async (manager) => {
          await sut.createFromRegistration(manager, event);
          throw new Error('the inbox write failed');
        }),
      ).rejects.toThrow('the inbox write failed');
      expect(await profileCount('id = $1', [event.userId])).toBe(0);
      await expect(consume(event)).resolves.toBe(true);
    });

    it('refuses an address another profile has (case-insensitively) with EMAIL_TAKEN', async () => {
      const first = registration();
      await consume(first);
      const twin = registration({ email: first.email.toUpperCase() });
      await expect(consume(twin)).rejects.toMatchObject({ code: 'EMAIL_TAKEN', kind: 'conflict' });
      expect(await profileCount('id = $1', [twin.userId])).toBe(0);
    });
  });

  describe('create', () => {
    it('answers PROFILE_EXISTS for a taken id and EMAIL_TAKEN for a taken address', async () => {
      const event = registration();
      await consume(event);
      await expect(
        sut.create({ id: event.userId, email: 'other@example.test', name: 'x' }),
      ).rejects.toMatchObject({
        code: 'PROFILE_EXISTS',
      });
      await expect(sut.create({ id: randomUUID(), email: event.email, name: 'x' })).rejects.toMatchObject({
        code: 'EMAIL_TAKEN',
      });
    });
  });

  describe('list', () => {
    it('pages newest first, stays correct while profiles are added between pages, as seq goes from one digit to two', async () => {
      // Enough rows that seq crosses a power of ten: a text sort of the keyset would misorder them.
      const created: string[] = [];
      for (let i = 0; i < 12; i += 1) {
        const event = registration();
        await consume(event);
        created.push(event.userId);
      }
      const first = await sut.list({ pageSize: 4 });
      for (let i = 0; i < 3; i += 1) await consume(registration());
      const seen = first.items.map((profile) => profile.id);
      let pageToken = first.nextPageToken ?? undefined;
      while (pageToken) {
        const page = await sut.list({ pageSize: 4, pageToken });
        seen.push(...page.items.map((profile) => profile.id));
        pageToken = page.nextPageToken ?? undefined;
      }
      expect(new Set(seen).size).toBe(seen.length);
      expect(seen.slice(0, 12)).toEqual([...created].reverse());
      const seqs = (await dataSource.query(`SELECT seq::int AS seq FROM "user".profiles ORDER BY seq`)) as {
        seq: number;
      }[];
      expect(seqs.length).toBeGreaterThanOrEqual(10);
    });

    it('filters by address: one profile or none, never a next page', async () => {
      const event = registration();
      await consume(event);
      const found = await sut.list({ pageSize: 1, email: event.email.toUpperCase() });
      expect(found).toEqual({ items: [expect.objectContaining({ id: event.userId })], nextPageToken: null });
      await expect(sut.list({ pageSize: 1, email: 'nobody@example.test' })).resolves.toEqual({
        items: [],
        nextPageToken: null,
      });
    });
  });

  describe('delete', () => {
    it('deletes the profile with its addresses, and says PROFILE_NOT_FOUND the second time', async () => {
      const event = registration();
      await consume(event);
      await dataSource.query(
        `INSERT INTO "user".addresses (user_id, line1, city, postal_code, country) VALUES ($1, 'l', 'c', 'p', 'FR')`,
        [event.userId],
      );
      await sut.delete(event.userId);
      const addresses = (await dataSource.query(
        `SELECT count(*)::int AS n FROM "user".addresses WHERE user_id = $1`,
        [event.userId],
      )) as { n: number }[];
      expect(addresses[0].n).toBe(0);
      await expect(sut.delete(event.userId)).rejects.toMatchObject({ code: 'PROFILE_NOT_FOUND' });
      await expect(sut.get(event.userId)).rejects.toMatchObject({ code: 'PROFILE_NOT_FOUND' });
    });
  });
});
