import type { Kysely } from 'kysely';

/**
 * The audit trail of reconciliation in the database (issue 7): one row per account and bill day
 * run, one per difference found, with what a repair by query did. The report files stay; these
 * rows are what an operator (or a later run) can query. 006 is the QR cashier's static codes.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('reconcile_runs')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('channel', 'text', (c) => c.notNull())
    .addColumn('channel_account_id', 'text', (c) => c.notNull())
    .addColumn('bill_date', 'text', (c) => c.notNull())
    .addColumn('started_at', 'bigint', (c) => c.notNull())
    .addColumn('finished_at', 'bigint')
    .addColumn('rows', 'integer', (c) => c.notNull())
    .addColumn('matched', 'integer', (c) => c.notNull())
    .addColumn('repaired', 'integer', (c) => c.notNull())
    .addColumn('unresolved', 'integer', (c) => c.notNull())
    /** running | complete | bill_unusable (a run that never finished stays running). */
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('error', 'text')
    .execute();
  await db.schema
    .createIndex('reconcile_runs_account_date')
    .on('reconcile_runs')
    .columns(['channel_account_id', 'bill_date'])
    .execute();
  await db.schema
    .createTable('reconcile_items')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('run_id', 'text', (c) => c.notNull().references('reconcile_runs.id'))
    /** The discrepancy class: missing_here, missing_at_channel, amount_mismatch, status_mismatch, duplicate_row. */
    .addColumn('kind', 'text', (c) => c.notNull())
    /** Our payment id (the channel's out_trade_no); for a refund, the refunded payment. */
    .addColumn('out_trade_no', 'text', (c) => c.notNull())
    .addColumn('out_refund_no', 'text')
    .addColumn('our_state', 'text')
    .addColumn('our_amount_fen', 'bigint')
    .addColumn('channel_status', 'text')
    .addColumn('channel_amount_fen', 'bigint')
    .addColumn('detail', 'text', (c) => c.notNull())
    /** What a repair by query did (asked, answered, applied, state before → after); null: not repairable. */
    .addColumn('repair_action', 'text')
    /** When a repair settled it; null while unresolved. */
    .addColumn('resolved_at', 'bigint')
    .execute();
  await db.schema.createIndex('reconcile_items_run').on('reconcile_items').column('run_id').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('reconcile_items').execute();
  await db.schema.dropTable('reconcile_runs').execute();
}
