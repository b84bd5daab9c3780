import type { Kysely } from 'kysely';

/** When the payment-sync job next asks the channel about an open payment, and how often it has. */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('payments').addColumn('next_check_at', 'bigint').execute();
  await db.schema
    .alterTable('payments')
    .addColumn('check_attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .execute();
  await db.schema.createIndex('payments_next_check').on('payments').column('next_check_at').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropIndex('payments_next_check').execute();
  await db.schema.alterTable('payments').dropColumn('check_attempts').execute();
  await db.schema.alterTable('payments').dropColumn('next_check_at').execute();
}
