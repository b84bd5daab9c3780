import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';

/**
 * Databases for tests: a fresh SQLite file, or a fresh PostgreSQL database created on the server
 * at PAYMUX_TEST_PG_URL (default: the local server) and dropped afterwards. Each test file gets
 * its own, so files can run in parallel.
 */
export type DbKind = 'sqlite' | 'postgres';

export const PG_ADMIN_URL = process.env.PAYMUX_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

/** The PostgreSQL suite runs when the server answers; CI sets PAYMUX_REQUIRE_PG=1 so a missing server fails instead of skipping. */
export async function postgresAvailable(): Promise<boolean> {
  const client = new pg.Client({ connectionString: PG_ADMIN_URL, connectionTimeoutMillis: 2000 });
  try {
    await client.connect();
    await client.query('select 1');
    return true;
  } catch (error) {
    if (process.env.PAYMUX_REQUIRE_PG === '1')
      throw new Error(
        `PostgreSQL is required (PAYMUX_REQUIRE_PG=1) but ${PG_ADMIN_URL} did not answer: ${String(error)}`,
      );
    return false;
  } finally {
    await client.end().catch(() => {});
  }
}

export interface TestDatabase {
  url: string;
  dir: string;
  drop(): Promise<void>;
}

export async function createTestDatabase(kind: DbKind): Promise<TestDatabase> {
  const dir = mkdtempSync(join(tmpdir(), 'paymux-test-'));
  if (kind === 'sqlite') {
    return {
      url: join(dir, 'paymux.sqlite'),
      dir,
      drop: async () => rmSync(dir, { recursive: true, force: true }),
    };
  }
  const name = `paymux_t_${process.pid}_${Math.random().toString(36).slice(2, 10)}`;
  const admin = new pg.Client({ connectionString: PG_ADMIN_URL });
  await admin.connect();
  await admin.query(`create database ${name}`);
  await admin.end();
  const url = new URL(PG_ADMIN_URL);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    dir,
    drop: async () => {
      const c = new pg.Client({ connectionString: PG_ADMIN_URL });
      await c.connect();
      await c.query(`drop database if exists ${name} with (force)`);
      await c.end();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
