import type { Kysely } from 'kysely';

/**
 * Which worker holds an event's delivery lease: claiming a batch becomes one UPDATE and one SELECT
 * by owner instead of two statements per event, and two workers can never read each other's claim.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('events').addColumn('lease_owner', 'text').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('events').dropColumn('lease_owner').execute();
}
