import type { Kysely, Selectable } from 'kysely';
import type { Database, ReconcileItemTable, ReconcileRunTable } from '../schema.ts';

/** Reconciliation runs and the differences they found: the audit trail in the database. */
export type ReconcileRunRecord = Selectable<ReconcileRunTable>;
export type ReconcileItemRecord = Selectable<ReconcileItemTable>;

/** Rows per INSERT statement (well under both databases' bound-parameter limits). */
export const RECONCILE_ITEMS_PER_INSERT_MAX = 200;
/** Items read back per call (tests, operators); a day with more is read in pages. */
export const RECONCILE_ITEMS_READ_MAX = 10_000;

/** Inserts a run unless its id is taken; returns whether it was inserted. */
export async function insertReconcileRunIfNew(
  db: Kysely<Database>,
  run: ReconcileRunRecord,
): Promise<boolean> {
  const result = await db
    .insertInto('reconcile_runs')
    .values(run)
    .onConflict((oc) => oc.column('id').doNothing())
    .executeTakeFirst();
  return Number(result.numInsertedOrUpdatedRows ?? 0n) === 1;
}

export async function finishReconcileRun(
  db: Kysely<Database>,
  id: string,
  result: Pick<
    ReconcileRunRecord,
    'finished_at' | 'rows' | 'matched' | 'repaired' | 'unresolved' | 'status' | 'error'
  >,
): Promise<void> {
  await db.updateTable('reconcile_runs').set(result).where('id', '=', id).execute();
}

export async function insertReconcileItems(
  db: Kysely<Database>,
  items: readonly ReconcileItemRecord[],
): Promise<void> {
  for (let i = 0; i < items.length; i += RECONCILE_ITEMS_PER_INSERT_MAX) {
    await db
      .insertInto('reconcile_items')
      .values(items.slice(i, i + RECONCILE_ITEMS_PER_INSERT_MAX))
      .execute();
  }
}

/** The runs of one account and bill day, oldest first. */
export async function listReconcileRuns(
  db: Kysely<Database>,
  channel_account_id: string,
  bill_date: string,
): Promise<ReconcileRunRecord[]> {
  return db
    .selectFrom('reconcile_runs')
    .selectAll()
    .where('channel_account_id', '=', channel_account_id)
    .where('bill_date', '=', bill_date)
    .orderBy('started_at')
    .orderBy('id')
    .execute();
}

export async function listReconcileItems(
  db: Kysely<Database>,
  run_id: string,
  after_id = '',
): Promise<ReconcileItemRecord[]> {
  return db
    .selectFrom('reconcile_items')
    .selectAll()
    .where('run_id', '=', run_id)
    .where('id', '>', after_id)
    .orderBy('id')
    .limit(RECONCILE_ITEMS_READ_MAX)
    .execute();
}
