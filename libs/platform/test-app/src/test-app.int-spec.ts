import { PgEnv } from '@emporium/platform/config';
import { DatabaseModule, ServiceDatabase } from '@emporium/platform/database';
import { PlatformModule, ServiceDescriptor } from '@emporium/platform/http';
import { Controller, Get, Injectable, Module, OnApplicationBootstrap } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { Client } from 'pg';
import request from 'supertest';
import { DataSource, MigrationInterface, QueryRunner } from 'typeorm';

import { createTestApp } from './test-app';

class CreateNotes1700000000000 implements MigrationInterface {
  name = 'CreateNotes1700000000000';
  async up(runner: QueryRunner): Promise<void> {
    await runner.query(`CREATE TABLE notes.notes (text varchar(20) NOT NULL)`);
    await runner.query(`INSERT INTO notes.notes VALUES ('migrated')`);
  }
  async down(runner: QueryRunner): Promise<void> {
    await runner.query('DROP TABLE notes.notes');
  }
}

@Controller('notes')
class NotesController {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  @Get()
  async list(): Promise<unknown> {
    return this.db.query('SELECT text FROM notes.notes');
  }
}

const SERVICE: ServiceDescriptor = {
  name: 'notes',
  version: '0.0.0',
  defaultPort: 3999,
  description: 'test',
  env: [PgEnv],
};
const DATABASE: ServiceDatabase = { schema: 'notes', entities: [], migrations: [CreateNotes1700000000000] };

@Injectable()
class BootstrapProbe implements OnApplicationBootstrap {
  bootstrapped = false;
  onApplicationBootstrap(): void {
    this.bootstrapped = true;
  }
}

@Module({
  imports: [PlatformModule.forService(SERVICE), DatabaseModule.forRoot(DATABASE)],
  controllers: [NotesController],
  providers: [BootstrapProbe],
})
class NotesModule {}

async function notesDatabaseCount(): Promise<number> {
  const admin = new Client({ connectionString: 'postgres://postgres@127.0.0.1:5432/postgres' });
  await admin.connect();
  try {
    const result = await admin.query<{ n: number }>(
      "SELECT count(*)::int AS n FROM pg_database WHERE datname LIKE 'emporium_t_notes_%'",
    );
    return result.rows[0].n;
  } finally {
    await admin.end();
  }
}

describe(createTestApp.name, () => {
  it('serves the real app on its own migrated database and drops it on close', async () => {
    const sut = await createTestApp({ module: NotesModule, service: SERVICE, database: DATABASE });
    const name = sut.db?.name as string;
    expect(name).toMatch(/^emporium_t_notes_/);
    await request(sut.server)
      .get('/api/v1/notes')
      .expect(200, [{ text: 'migrated' }]);
    await request(sut.server)
      .get('/api/v1/nothing')
      .expect(404)
      .expect('content-type', /problem\+json/);
    await sut.close();

    const admin = new Client({ connectionString: 'postgres://postgres@127.0.0.1:5432/postgres' });
    await admin.connect();
    const left = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    await admin.end();
    expect(left.rowCount).toBe(0);
  });

  it('restores the environment it changed', async () => {
    const before = process.env['PG_URL'];
    const sut = await createTestApp({
      module: NotesModule,
      service: SERVICE,
      database: DATABASE,
      env: { CORS_ORIGINS: 'https://x.test' },
    });
    expect(process.env['PG_URL']).toBe(before);
    expect(process.env['CORS_ORIGINS']).toBeUndefined();
    await sut.close();
  });

  it('runs beforeListen on the initialised app, and closes everything when it fails', async () => {
    let bootstrappedFirst: boolean | undefined;
    const sut = await createTestApp({
      module: NotesModule,
      service: SERVICE,
      database: DATABASE,
      beforeListen: async (app) => {
        bootstrappedFirst = app.get(BootstrapProbe).bootstrapped;
      },
    });
    expect(bootstrappedFirst).toBe(true);
    await sut.close();

    const before = await notesDatabaseCount();
    const failure = new Error('the port is taken');
    await expect(
      createTestApp({
        module: NotesModule,
        service: SERVICE,
        database: DATABASE,
        beforeListen: () => Promise.reject(failure),
      }),
    ).rejects.toBe(failure);
    expect(await notesDatabaseCount()).toBe(before);
  });
});
