import { randomUUID } from 'node:crypto';

import { createTestApp, TestApp } from '@emporium/platform/test-app';
import { DataSource } from 'typeorm';

import { AppModule } from '../app/app.module';
import { USER_DATABASE, USER_SERVICE } from '../app/service';
import { ProfilesService } from '../profiles/profiles.service';
import { MAX_ADDRESSES_PER_USER } from './address';
import { AddressesService } from './addresses.service';
import { CreateAddressDto } from './dto/address.dto';

describe(AddressesService.name, () => {
  let testApp: TestApp;
  let dataSource: DataSource;
  let sut: AddressesService;

  const address = (line1 = '1 Main Street'): CreateAddressDto => ({
    line1,
    city: 'Springfield',
    postalCode: '12345',
    country: 'US',
  });

  async function newUser(): Promise<string> {
    const userId = randomUUID();
    const profiles = testApp.app.get(ProfilesService);
    await dataSource.transaction((manager) =>
      profiles.createFromRegistration(manager, { userId, email: `${userId}@example.test`, name: 'Owner' }),
    );
    return userId;
  }

  const countOf = async (userId: string): Promise<number> => {
    const rows = (await dataSource.query(
      `SELECT count(*)::int AS n FROM "user".addresses WHERE user_id = $1`,
      [userId],
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
    sut = testApp.app.get(AddressesService);
  });

  afterAll(async () => {
    await testApp?.close();
  });

  it(`never lets concurrent additions overshoot ${MAX_ADDRESSES_PER_USER} addresses`, async () => {
    const userId = await newUser();
    for (let i = 0; i < MAX_ADDRESSES_PER_USER - 3; i += 1) await sut.add(userId, address(`${i} Street`));
    const results = await Promise.allSettled(
      Array.from({ length: 10 }, (_, i) => sut.add(userId, address(`race ${i}`))),
    );
    expect(results.filter((result) => result.status === 'fulfilled')).toHaveLength(3);
    for (const result of results.filter((r): r is PromiseRejectedResult => r.status === 'rejected')) {
      expect(result.reason).toMatchObject({ code: 'ADDRESS_LIMIT_REACHED', kind: 'conflict' });
    }
    expect(await countOf(userId)).toBe(MAX_ADDRESSES_PER_USER);
  });

  it("reads and deletes only the owner's addresses: to anyone else they are ADDRESS_NOT_FOUND", async () => {
    const owner = await newUser();
    const other = await newUser();
    const added = await sut.add(owner, address());
    await expect(sut.get(other, added.id)).rejects.toMatchObject({ code: 'ADDRESS_NOT_FOUND' });
    await expect(sut.remove(other, added.id)).rejects.toMatchObject({ code: 'ADDRESS_NOT_FOUND' });
    await expect(sut.list(other, 20)).resolves.toEqual({ items: [], nextPageToken: null });
    await expect(sut.get(owner, added.id)).resolves.toEqual(added);
    await sut.remove(owner, added.id);
    expect(await countOf(owner)).toBe(0);
  });

  it('needs the profile: PROFILE_NOT_FOUND for a user whose registration has not arrived', async () => {
    const stranger = randomUUID();
    await expect(sut.add(stranger, address())).rejects.toMatchObject({ code: 'PROFILE_NOT_FOUND' });
    await expect(sut.list(stranger, 20)).rejects.toMatchObject({ code: 'PROFILE_NOT_FOUND' });
  });

  it('lists oldest first across pages, and refuses a token from another list', async () => {
    const userId = await newUser();
    const added = [];
    for (let i = 0; i < 12; i += 1) added.push(await sut.add(userId, address(`${i} Paging Road`)));
    const seen = [];
    let pageToken: string | undefined;
    do {
      const page = await sut.list(userId, 5, pageToken);
      seen.push(...page.items);
      pageToken = page.nextPageToken ?? undefined;
    } while (pageToken);
    expect(seen).toEqual(added);
    await expect(sut.list(userId, 5, 'garbage')).rejects.toMatchObject({ code: 'INVALID_PAGE_TOKEN' });
  });
});
