import type { Kysely } from 'kysely';

/**
 * Static merchant codes (码牌): one permanent QR per merchant or store. And the indexes a day's
 * reconciliation reads by (an account's payments paid, and refunds succeeded, within a day, in
 * pages by time then id; they cover the columns read, so a page never visits the table): without them each account's daily run scanned every payment ever stored.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createIndex('payments_by_account_paid_at')
    .on('payments')
    .columns(['channel_account_id', 'paid_at', 'id', 'state', 'amount_fen'])
    .execute();
  await db.schema
    .createIndex('refunds_by_account_succeeded_at')
    .on('refunds')
    .columns(['channel_account_id', 'succeeded_at', 'id', 'payment_id', 'state', 'amount_fen'])
    .execute();
  await db.schema
    .createTable('static_codes')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('merchant_id', 'text', (c) => c.notNull().references('merchants.id'))
    .addColumn('app_id', 'text', (c) => c.notNull().references('apps.id'))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('notify_url', 'text')
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('static_codes_by_app')
    .on('static_codes')
    .columns(['app_id', 'created_at'])
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('static_codes').execute();
  await db.schema.dropIndex('refunds_by_account_succeeded_at').execute();
  await db.schema.dropIndex('payments_by_account_paid_at').execute();
}
