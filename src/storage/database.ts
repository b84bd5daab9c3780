import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import { Kysely, PostgresDialect, SqliteDialect } from 'kysely';
import pg from 'pg';
import type { Database } from './schema.ts';
import { batchedSqliteTransact, type CommitStats, plainTransact, type Transact } from './transact.ts';

export type DatabaseKind = 'sqlite' | 'postgres';

export interface Store {
  kind: DatabaseKind;
  db: Kysely<Database>;
  /** Runs `fn` in a transaction; on SQLite concurrent callers share one durable commit. */
  transact: Transact;
  commit_stats: CommitStats;
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
  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: withStatementCache(sqlite) }) });
  const commit_stats: CommitStats = { commits: 0, transactions: 0 };
  return {
    kind: 'sqlite',
    db,
    commit_stats,
    transact: batchedSqliteTransact(db, commit_stats),
    close: () => db.destroy(),
  };
}

/** Distinct SQL texts kept prepared; the gateway has a few dozen, so this is a safety bound. */
export const STATEMENT_CACHE_MAX = 1_000;

/**
 * Kysely prepares every query anew; on the payment path preparing cost as much as running. The
 * statements are reused instead (keyed by SQL text; parameters are bound per call). Safe because
 * Kysely runs one statement at a time on this connection and we never stream results.
 */
function withStatementCache(sqlite: SqliteDatabase.Database) {
  const cache = new Map<string, SqliteDatabase.Statement>();
  return {
    close: () => sqlite.close(),
    prepare(sql: string) {
      let statement = cache.get(sql);
      if (!statement) {
        if (cache.size >= STATEMENT_CACHE_MAX) cache.clear();
        statement = sqlite.prepare(sql);
        cache.set(sql, statement);
      }
      return statement;
    },
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
  // An idle connection that the server closes (restart, failover) emits an error on the pool;
  // unhandled it would end the process. The pool drops that client and opens a new one when needed.
  pool.on('error', () => {});
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  const commit_stats: CommitStats = { commits: 0, transactions: 0 };
  return {
    kind: 'postgres',
    db,
    commit_stats,
    transact: plainTransact(db, commit_stats),
    close: () => db.destroy(),
  };
}
