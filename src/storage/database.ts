import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import { Kysely, PostgresDialect, SqliteDialect } from 'kysely';
import pg from 'pg';
import type { Database } from './schema.ts';
import { batchedSqliteTransact, plainTransact, type Transact } from './transact.ts';

export type DatabaseKind = 'sqlite' | 'postgres';

export interface Store {
  kind: DatabaseKind;
  db: Kysely<Database>;
  /** Runs `fn` in a transaction; on SQLite concurrent callers share one durable commit. */
  transact: Transact;
  close(): Promise<void>;
}

export interface StoreOptions {
  /** `postgres://…` for PostgreSQL; otherwise a SQLite file path (or ':memory:'). */
  url: string;
  /** PostgreSQL pool size. */
  pool_max?: number;
}

const INT8_OID = 20;
const NUMERIC_OID = 1700;

export function openStore(options: StoreOptions): Store {
  if (/^postgres(ql)?:\/\//.test(options.url)) return openPostgres(options.url, options.pool_max ?? 10);
  return openSqlite(options.url);
}

function openSqlite(path: string): Store {
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
  const sqlite = new SqliteDatabase(path);
  // WAL lets readers run beside the writer; synchronous=FULL makes every commit durable on disk
  // before it returns (the gateway never acknowledges what a power cut could take back).
  sqlite.pragma('journal_mode = WAL');
  sqlite.pragma('synchronous = FULL');
  sqlite.pragma('foreign_keys = ON');
  sqlite.pragma('busy_timeout = 5000');
  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: sqlite }) });
  return {
    kind: 'sqlite',
    db,
    transact: batchedSqliteTransact(db),
    close: () => db.destroy(),
  };
}

function openPostgres(url: string, pool_max: number): Store {
  const pool = new pg.Pool({
    connectionString: url,
    max: pool_max,
    // Money and times are bigint columns; their values stay far below 2^53, so numbers are exact.
    types: {
      getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
        oid === INT8_OID || oid === NUMERIC_OID
          ? (value: string) => Number(value)
          : pg.types.getTypeParser(oid, format as 'text')) as typeof pg.types.getTypeParser,
    },
  });
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  return { kind: 'postgres', db, transact: plainTransact(db), close: () => db.destroy() };
}
