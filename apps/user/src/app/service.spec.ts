import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

import { PgEnv } from '@emporium/platform/config';
import { dataSourceOptions } from '@emporium/platform/database';

import { USER_DATABASE, USER_SERVICE } from './service';

const MIGRATIONS_DIR = join(__dirname, '../migrations');
const MIGRATION_FILE = /^\d{13}-[a-z0-9]+(-[a-z0-9]+)*\.ts$/;

function migrationFiles(): string[] {
  return existsSync(MIGRATIONS_DIR) ? readdirSync(MIGRATIONS_DIR).sort() : [];
}

describe('USER_SERVICE', () => {
  it('owns the schema named after it, which the data source accepts', () => {
    expect(USER_SERVICE.name).toBe('user');
    expect(USER_DATABASE.schema).toBe('user');
    expect(dataSourceOptions(new PgEnv(), USER_DATABASE)).toMatchObject({
      schema: 'user',
      synchronize: false,
    });
  });

  it('names every migration <timestamp>-<kebab-description>.ts', () => {
    expect(migrationFiles().filter((file) => !MIGRATION_FILE.test(file))).toEqual([]);
  });

  it('registers every migration file, oldest first', async () => {
    const exported: unknown[] = [];
    for (const file of migrationFiles()) {
      const migration = (await import(join(MIGRATIONS_DIR, file))) as Record<string, unknown>;
      exported.push(...Object.values(migration));
    }
    expect(Object.values(USER_DATABASE.migrations)).toEqual(exported);
  });
});
