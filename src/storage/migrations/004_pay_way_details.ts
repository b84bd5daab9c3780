import type { Kysely } from 'kysely';

/** What the payer needs for pay ways beyond a QR code, and who the payer is when the merchant said. */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('payments').addColumn('credential_json', 'text').execute();
  await db.schema.alterTable('payments').addColumn('payer_json', 'text').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('payments').dropColumn('payer_json').execute();
  await db.schema.alterTable('payments').dropColumn('credential_json').execute();
}
