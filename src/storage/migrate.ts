import { type Kysely, type Migration, type MigrationProvider, Migrator } from 'kysely';
import * as m001 from './migrations/001_initial.ts';
import * as m002 from './migrations/002_payment_checks.ts';
import * as m003 from './migrations/003_refunds.ts';
import * as m004 from './migrations/004_pay_way_details.ts';
import * as m005 from './migrations/005_event_lease_owner.ts';
import * as m006 from './migrations/006_static_codes_and_paid_index.ts';
import * as m007 from './migrations/007_reconcile_audit.ts';
import * as m008 from './migrations/008_query_plan_indexes.ts';
import type { Database } from './schema.ts';

/** Migrations are listed here in code, so they ship with the program and run the same on both databases. */
const MIGRATIONS: Record<string, Migration> = {
  '001_initial': m001,
  '002_payment_checks': m002,
  '003_refunds': m003,
  '004_pay_way_details': m004,
  '005_event_lease_owner': m005,
  '006_static_codes_and_paid_index': m006,
  '007_reconcile_audit': m007, // issue 7: reconciliation audit trail (after the cashier's 006)
  '008_query_plan_indexes': m008,
};

const provider: MigrationProvider = { getMigrations: async () => MIGRATIONS };

export async function migrateToLatest(db: Kysely<Database>): Promise<string[]> {
  const migrator = new Migrator({ db, provider });
  const { error, results } = await migrator.migrateToLatest();
  if (error) throw error instanceof Error ? error : new Error(String(error));
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}
