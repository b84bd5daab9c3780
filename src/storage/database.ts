import { mkdirSync } from 'node:fs';
import { type FileHandle, open } from 'node:fs/promises';
import { dirname } from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import { Kysely, PostgresDialect, SqliteDialect, sql } from 'kysely';
import pg from 'pg';
import type { Database } from './schema.ts';
import {
  batchedSqliteTransact,
  type CommitMode,
  type CommitStats,
  plainTransact,
  type Savepoint,
  type Transact,
} from './transact.ts';

export type DatabaseKind = 'sqlite' | 'postgres';

export interface Store {
  kind: DatabaseKind;
  db: Kysely<Database>;
  /** Runs `fn` in a transaction; on SQLite concurrent callers share one durable commit. */
  transact: Transact;
  commit_stats: CommitStats;
  /**
   * SQLite only: the distinct SQL texts this connection has prepared (each statement the
   * gateway ran since it opened, up to STATEMENT_CACHE_MAX). For diagnostics and the query-plan test.
   */
  prepared_sql?: () => string[];
  /**
   * Makes every commit so far durable, including those made with `flush: false`. For a caller
   * about to answer with a row that another request may have committed without a flush.
   */
  flushLog(): Promise<void>;
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
  // before it returns (the gateway never acknowledges what a power cut could take back). A
  // transaction may instead leave its flush to the next commit (TransactOptions.flush).
  sqlite.pragma('journal_mode = WAL');
  sqlite.pragma('synchronous = FULL');
  sqlite.pragma('foreign_keys = ON');
  sqlite.pragma('busy_timeout = 5000');
  // SQLite's default page cache is 2 MiB. The deliverer and the sync job read rows spread over
  // tables of many megabytes; with 64 MiB deliveries/s rose by a third in the benchmark.
  sqlite.pragma(`cache_size = -${SQLITE_PAGE_CACHE_KIB}`);
  const commit_mode: CommitMode = { flush: true, unflushed_open: false };
  const statements = withStatementCache(sqlite, commit_mode);
  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: statements }) });
  const commit_stats: CommitStats = { commits: 0, transactions: 0, unflushed_commits: 0 };
  return {
    kind: 'sqlite',
    db,
    commit_stats,
    transact: batchedSqliteTransact(db, commit_stats, commit_mode, savepointOn(sqlite)),
    prepared_sql: () => statements.preparedSql(),
    flushLog: () => flushSqliteLog(path),
    close: () => db.destroy(),
  };
}

function savepointOn(sqlite: SqliteDatabase.Database): Savepoint {
  const open = sqlite.prepare('savepoint job');
  const release = sqlite.prepare('release savepoint job');
  const rollback = sqlite.prepare('rollback to savepoint job');
  return {
    open: () => void open.run(),
    release: () => void release.run(),
    rollback: () => {
      rollback.run();
      release.run();
    },
  };
}

/**
 * Flushes SQLite's write-ahead log to disk (on the thread pool). Commits made under
 * synchronous=NORMAL are in the log but may not be on disk yet; the log is replayed in order after
 * a power cut, so once it is flushed they are as durable as any. No log file: nothing to flush.
 */
async function flushSqliteLog(path: string): Promise<void> {
  if (path === ':memory:') return;
  let handle: FileHandle;
  try {
    handle = await open(`${path}-wal`, 'r');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw error;
  }
  try {
    await handle.datasync();
  } finally {
    await handle.close();
  }
}

/**
 * Makes PostgreSQL's log durable up to now. A commit with synchronous_commit on waits until the log
 * is flushed up to its own commit record, and with it everything written before; but PostgreSQL
 * waits only for a transaction that has an id and wrote to the log (a write-less one returns at
 * once, as the storage test found). A transactional logical message gives the transaction both
 * and changes no table. Waiting instead for the WAL writer to pass the log's current end
 * depended on its schedule: about 200 ms (wal_writer_delay) each time, and past 5 s once it had
 * gone to sleep on an idle server, which failed a merchant's retry.
 */
async function flushPostgresLog(db: Kysely<Database>): Promise<void> {
  await db.transaction().execute(async (tx) => {
    await sql`set local synchronous_commit = on`.execute(tx);
    await sql`select pg_logical_emit_message(true, 'paymux', 'flush')`.execute(tx);
  });
}

/** Page cache per connection (the process has one). */
export const SQLITE_PAGE_CACHE_KIB = 64 * 1024;

/** Distinct SQL texts kept prepared; the gateway has a few dozen, so this is a safety bound. */
export const STATEMENT_CACHE_MAX = 1_000;

/**
 * Kysely prepares every query anew; on the payment path preparing cost as much as running. The
 * statements are reused instead (keyed by SQL text; parameters are bound per call). Safe because
 * Kysely runs one statement at a time on this connection and we never stream results.
 */
function withStatementCache(sqlite: SqliteDatabase.Database, commit_mode: CommitMode) {
  const cache = new Map<string, PreparedStatement>();
  // Prepared here, as the connection opens: SQLite refuses even to prepare a change of the
  // setting inside a transaction.
  const safety: SafetyStatements = {
    normal: sqlite.prepare('pragma synchronous = NORMAL'),
    full: sqlite.prepare('pragma synchronous = FULL'),
  };
  return {
    close: () => sqlite.close(),
    preparedSql: () => [...cache.keys()],
    prepare(sql: string) {
      let statement = cache.get(sql);
      if (!statement) {
        if (cache.size >= STATEMENT_CACHE_MAX) cache.clear();
        const prepared = sqlite.prepare(sql);
        statement = withCommitMode(sqlite, sql, prepared, commit_mode, safety);
        cache.set(sql, statement);
      }
      return statement;
    },
  };
}

interface SafetyStatements {
  normal: SqliteDatabase.Statement;
  full: SqliteDatabase.Statement;
}

/** The part of a better-sqlite3 statement that Kysely's SQLite driver uses. */
type PreparedStatement = Pick<SqliteDatabase.Statement, 'reader' | 'all' | 'run' | 'iterate'>;

/**
 * A transaction that asked not to wait for the disk runs under synchronous=NORMAL: in WAL mode its
 * COMMIT writes the frames but does not fsync them. SQLite allows the setting to change only
 * between transactions, so it is switched just before BEGIN and switched back to FULL right after
 * that transaction's COMMIT or ROLLBACK (Kysely's SQLite driver issues exactly `begin`, `commit`,
 * `rollback`). In between, the transaction holds the connection, so no other statement can run
 * under NORMAL. The next FULL commit's fsync of the WAL makes these frames durable too: it flushes
 * the whole file, and the log is replayed in order.
 */
function withCommitMode(
  sqlite: SqliteDatabase.Database,
  sql: string,
  statement: SqliteDatabase.Statement,
  commit_mode: CommitMode,
  { normal, full }: SafetyStatements,
): PreparedStatement {
  if (sql !== 'begin' && sql !== 'commit' && sql !== 'rollback') return statement;
  const run =
    sql === 'begin'
      ? (...params: unknown[]) => {
          // One transaction's wish: consumed here, so the next one gets the safe default.
          const flush = commit_mode.flush;
          commit_mode.flush = true;
          if (flush) return statement.run(...params);
          normal.run();
          try {
            const result = statement.run(...params);
            commit_mode.unflushed_open = true;
            return result;
          } catch (error) {
            full.run();
            throw error;
          }
        }
      : (...params: unknown[]) => {
          try {
            return statement.run(...params);
          } finally {
            if (commit_mode.unflushed_open && !sqlite.inTransaction) {
              full.run();
              commit_mode.unflushed_open = false;
            }
          }
        };
  return {
    reader: statement.reader,
    all: (...params: unknown[]) => statement.all(...params),
    iterate: (...params: unknown[]) => statement.iterate(...params),
    run,
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
  const commit_stats: CommitStats = { commits: 0, transactions: 0, unflushed_commits: 0 };
  return {
    kind: 'postgres',
    db,
    commit_stats,
    transact: plainTransact(db, commit_stats),
    flushLog: () => flushPostgresLog(db),
    close: () => db.destroy(),
  };
}
