import { type Kysely, sql, type Transaction } from 'kysely';
import type { Database } from './schema.ts';

export type Tx = Transaction<Database>;

export interface TransactOptions {
  /**
   * false: commit without waiting for the disk. The write is safe from a crash of the process at
   * once, and from a power cut with the next commit that does wait: the log is written in order
   * and one flush covers everything before it (SQLite's WAL, PostgreSQL's WAL alike). For a write
   * that nothing depends on until a later, flushed write of the same request (a request's nonce).
   * Default true.
   */
  flush?: boolean;
}

export type Transact = <T>(fn: (tx: Tx) => Promise<T>, options?: TransactOptions) => Promise<T>;

/**
 * For writes whose loss to a power cut only repeats work or is carried to disk by a later flushed
 * write before anyone depends on them (ADR 0007 lists them): a request's nonce, the sync job's
 * claims and reschedules.
 */
export const UNFLUSHED: TransactOptions = { flush: false };

/**
 * Whether the next SQLite transaction's COMMIT waits for the disk. Set by the group commit just
 * before it begins a transaction; the connection consumes it at BEGIN (database.ts).
 */
export interface CommitMode {
  flush: boolean;
  /** A transaction under synchronous=NORMAL is open; FULL is restored when it ends. */
  unflushed_open: boolean;
}

/** How well commits are grouped: for the benchmark and metrics. */
export interface CommitStats {
  commits: number;
  transactions: number;
  /** Commits that did not wait for the disk (every transaction in them asked for that). */
  unflushed_commits: number;
}

/**
 * A transaction per call: PostgreSQL runs them concurrently on its pool and groups their WAL
 * flushes itself.
 */
export function plainTransact(db: Kysely<Database>, stats: CommitStats): Transact {
  return (fn, options) => {
    stats.commits += 1;
    stats.transactions += 1;
    if (options?.flush !== false) return db.transaction().execute(fn);
    stats.unflushed_commits += 1;
    return db.transaction().execute(async (tx) => {
      // PostgreSQL's own form of the same thing: this commit does not wait for its WAL flush.
      await sql`set local synchronous_commit = off`.execute(tx);
      return fn(tx);
    });
  };
}

/**
 * One caller's savepoint inside a group commit, run directly on the SQLite connection: a few
 * statements per caller that Kysely would build, compile and schedule each time (about 5 µs a
 * pair). Called only between the caller's own awaited queries, when no statement is running.
 */
export interface Savepoint {
  open(): void;
  release(): void;
  /** Undoes the caller's writes and ends the savepoint. */
  rollback(): void;
}

/** Most callers that share one SQLite commit. */
export const COMMIT_GROUP_MAX = 256;

interface Job {
  fn: (tx: Tx) => Promise<unknown>;
  flush: boolean;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
}

/**
 * Group commit for SQLite. With synchronous=FULL each commit waits for the disk (about 4,000
 * commits/s here), while rows inside one commit are nearly free. So callers queue their
 * transaction functions; one writer runs everything queued in a single transaction, each function
 * inside its own SAVEPOINT (a failing one rolls back alone), commits once, and only then settles
 * every caller's promise: nobody hears "done" before their rows are durable.
 *
 * Rule for callers: a transaction function does database work only. Awaiting anything else inside
 * it (a channel call, a timer) would hold every other caller's commit.
 */
export function batchedSqliteTransact(
  db: Kysely<Database>,
  stats: CommitStats,
  commit_mode: CommitMode,
  savepoint: Savepoint,
): Transact {
  const queue: Job[] = [];
  let running = false;

  async function drain(): Promise<void> {
    running = true;
    try {
      while (queue.length > 0) {
        const batch = queue.splice(0, COMMIT_GROUP_MAX);
        stats.commits += 1;
        stats.transactions += batch.length;
        // The commit waits for the disk if any caller in it needs that.
        const flush = batch.some((job) => job.flush);
        if (!flush) stats.unflushed_commits += 1;
        const outcomes: Array<{ ok: true; value: unknown } | { ok: false; error: unknown }> = [];
        try {
          // Consumed by the BEGIN below: this drain is the only caller of db.transaction().
          commit_mode.flush = flush;
          await db.transaction().execute(async (tx) => {
            if (batch.length === 1) {
              // Alone in the commit: the transaction itself is the savepoint.
              outcomes.push({ ok: true, value: await batch[0]!.fn(tx) });
              return;
            }
            for (const job of batch) {
              savepoint.open();
              try {
                const value = await job.fn(tx);
                savepoint.release();
                outcomes.push({ ok: true, value });
              } catch (error) {
                savepoint.rollback();
                outcomes.push({ ok: false, error });
              }
            }
          });
        } catch (error) {
          // Unused if the transaction never began; the next BEGIN must not inherit it.
          commit_mode.flush = true;
          // The commit failed (or the only job threw and rolled it back): nothing is durable.
          for (const job of batch) job.reject(error);
          continue;
        }
        batch.forEach((job, i) => {
          const outcome = outcomes[i]!;
          if (outcome.ok) job.resolve(outcome.value);
          else job.reject(outcome.error);
        });
      }
    } finally {
      running = false;
    }
  }

  return <T>(fn: (tx: Tx) => Promise<T>, options?: TransactOptions) =>
    new Promise<T>((resolve, reject) => {
      queue.push({
        fn,
        flush: options?.flush !== false,
        resolve: resolve as (value: unknown) => void,
        reject,
      });
      // Start on the next turn so requests arriving together share the first commit too.
      if (!running) {
        running = true;
        setImmediate(() => void drain());
      }
    });
}
