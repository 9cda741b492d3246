import { EntityManager, QueryFailedError, QueryRunner } from 'typeorm';

import { sql } from './sql';

function managerWith(query: QueryRunner['query']): EntityManager {
  return { queryRunner: { query } as unknown as QueryRunner } as unknown as EntityManager;
}

describe(sql.name, () => {
  it('answers the rows and the affected count', async () => {
    const manager = managerWith(async () => ({ records: [{ id: 1 }], affected: 3, raw: [] }));
    await expect(sql(manager, 'UPDATE x SET y = 1 RETURNING id')).resolves.toEqual({
      rows: [{ id: 1 }],
      rowCount: 3,
    });
  });

  it("rethrows the driver's error, so the parameters (secrets) never travel with it", async () => {
    const driverError = Object.assign(new Error('duplicate key'), { code: '23505', constraint: 'k' });
    const manager = managerWith(async () => {
      throw new QueryFailedError('INSERT …', ['someone@example.com', '$argon2id$v=19$…'], driverError);
    });
    const failure = await sql(manager, 'INSERT …', ['x']).catch((error: unknown) => error);
    expect(failure).toBe(driverError);
    expect(JSON.stringify(failure)).not.toContain('argon2id');
  });

  it('refuses to run outside a transaction', async () => {
    await expect(sql({} as EntityManager, 'SELECT 1')).rejects.toThrow(/inside a transaction/);
  });
});
