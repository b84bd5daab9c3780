import type { Kysely } from 'kysely';

/**
 * Indexes for reads that used to sort or scan everything as the tables grew (found by
 * test/query-plans.test.ts, which checks the plan of every statement the gateway prepares):
 * - an app's payments newest first, with or without a state (`GET /v1/payments`): SQLite took
 *   the app's rows from the unique order-number index and sorted them all for every page;
 * - a payment's channel notifications (the console's payment page): no index at all, so each
 *   read scanned every notification ever received;
 * - expired idempotency keys (the maintenance job): each run read the whole table to find them.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.createIndex('payments_by_app').on('payments').columns(['app_id', 'id']).execute();
  await db.schema
    .createIndex('payments_by_app_state')
    .on('payments')
    .columns(['app_id', 'state', 'id'])
    .execute();
  await db.schema
    .createIndex('channel_notifications_payment')
    .on('channel_notifications')
    .columns(['payment_id', 'received_at'])
    .execute();
  await db.schema
    .createIndex('idempotency_keys_expiry')
    .on('idempotency_keys')
    .columns(['expires_at'])
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropIndex('idempotency_keys_expiry').execute();
  await db.schema.dropIndex('channel_notifications_payment').execute();
  await db.schema.dropIndex('payments_by_app_state').execute();
  await db.schema.dropIndex('payments_by_app').execute();
}
