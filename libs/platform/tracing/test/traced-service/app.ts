import type { AddressInfo } from 'node:net';

import { Controller, Get, Module, Param } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import { Pool } from 'pg';

import { shutdownTracing, TracingModule } from '../../src';

/** Messages between this fixture and the spec that forks it. */
export type FixtureMessage = { type: 'listening'; port: number } | { type: 'stop' };

const pool = new Pool({ connectionString: process.env['PG_URL'], max: 2 });

@Controller()
class ItemsController {
  @Get('items/:id')
  async item(@Param('id') id: string): Promise<{ id: string }> {
    const { rows } = await pool.query<{ id: string }>('SELECT $1::text AS id', [id]);
    return rows[0];
  }

  @Get('health/live')
  async live(): Promise<{ status: string }> {
    await pool.query('SELECT 1');
    return { status: 'ok' };
  }

  @Get('metrics')
  metrics(): string {
    return '';
  }
}

@Module({ imports: [TracingModule.forRoot()], controllers: [ItemsController] })
class AppModule {}

/** A tiny traced service: Nest on Fastify, a pg pool, and the lib's tracing, as a real service runs them. */
export async function serve(): Promise<void> {
  // A query outside any request, like a pool warm-up: with requireParentSpan it must start no trace.
  await pool.query('SELECT 1');
  const app = await NestFactory.create<NestFastifyApplication>(AppModule, new FastifyAdapter(), {
    logger: false,
  });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const { port } = app.getHttpServer().address() as AddressInfo;

  process.on('message', (message: FixtureMessage) => {
    if (message.type !== 'stop') return;
    const stop = async (): Promise<void> => {
      await app.close();
      await pool.end();
      await shutdownTracing();
      process.exit(0);
    };
    stop().catch(() => process.exit(1));
  });
  send({ type: 'listening', port });
}

function send(message: FixtureMessage): void {
  process.send?.(message);
}
