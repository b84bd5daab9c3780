import type { Kysely, Selectable } from 'kysely';
import type { PaymentState } from '../../domain/payment-state.ts';
import type { Database, PaymentTable } from '../schema.ts';
import { claimDueCheckIds, inIdOrder, oldestDueCheckAt, scheduleCheckOf } from './checks.ts';

export type PaymentRecord = Omit<Selectable<PaymentTable>, 'state'> & { state: PaymentState };
type Db = Kysely<Database>;

/** Inserts unless the app already has this merchant order number; returns whether it inserted. */
export async function insertPaymentIfNew(db: Db, payment: PaymentRecord): Promise<boolean> {
  const result = await db
    .insertInto('payments')
    .values(payment)
    .onConflict((oc) => oc.columns(['app_id', 'merchant_order_no']).doNothing())
    .executeTakeFirst();
  return Number(result.numInsertedOrUpdatedRows ?? 0) === 1;
}

export async function findPaymentById(db: Db, id: string): Promise<PaymentRecord | undefined> {
  return (await db.selectFrom('payments').selectAll().where('id', '=', id).executeTakeFirst()) as
    | PaymentRecord
    | undefined;
}

export async function findPaymentByOrderNo(
  db: Db,
  app_id: string,
  merchant_order_no: string,
): Promise<PaymentRecord | undefined> {
  return (await db
    .selectFrom('payments')
    .selectAll()
    .where('app_id', '=', app_id)
    .where('merchant_order_no', '=', merchant_order_no)
    .executeTakeFirst()) as PaymentRecord | undefined;
}

export type PaymentChanges = Partial<
  Pick<
    PaymentRecord,
    | 'state'
    | 'code_url'
    | 'credential_json'
    | 'channel_trade_no'
    | 'channel_status'
    | 'failure_code'
    | 'failure_message'
    | 'paid_at'
    | 'ended_at'
    | 'next_check_at'
  >
>;

/**
 * Applies changes only if nobody changed the payment since it was read at `expected_version`.
 * Returns false when the version moved on: the caller re-reads and decides again.
 */
export async function updatePaymentIfVersion(
  db: Db,
  id: string,
  expected_version: number,
  changes: PaymentChanges,
  now_ms: number,
): Promise<boolean> {
  const result = await db
    .updateTable('payments')
    .set({ ...changes, version: expected_version + 1, updated_at: now_ms })
    .where('id', '=', id)
    .where('version', '=', expected_version)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

/** Payments that may still change: the sync job asks the channel about these. */
export const OPEN_STATES = ['CREATED', 'PENDING', 'UNKNOWN'] as const;

/**
 * Claims open payments whose check is due, moving their check `lease_ms` ahead so another worker
 * (another process on PostgreSQL) does not take them too. Returns the claimed payments.
 */
export async function claimDueChecks(
  db: Db,
  now_ms: number,
  lease_ms: number,
  limit: number,
): Promise<PaymentRecord[]> {
  const ids = await claimDueCheckIds(db, 'payments', OPEN_STATES, now_ms, lease_ms, limit);
  if (ids.length === 0) return [];
  const rows = (await db
    .selectFrom('payments')
    .selectAll()
    .where('id', 'in', ids)
    .execute()) as PaymentRecord[];
  return inIdOrder(ids, rows);
}

/** When the most overdue payment check was due, or null when none is due. */
export function oldestDuePaymentCheckAt(db: Db, now_ms: number): Promise<number | null> {
  return oldestDueCheckAt(db, 'payments', OPEN_STATES, now_ms);
}

/** Sets the next check of a payment that is still open (an ended one keeps no check). */
export async function scheduleCheck(
  db: Db,
  id: string,
  next_check_at: number,
  check_attempts: number,
): Promise<void> {
  await scheduleCheckOf(db, 'payments', OPEN_STATES, id, next_check_at, check_attempts);
}

/**
 * One page of an app's payments, newest first, after the cursor (a payment id: ids sort by
 * creation time). Reads one row more than asked to tell whether more follow.
 */
export async function listPaymentsPage(
  db: Db,
  app_id: string,
  options: { limit: number; starting_after?: string; state?: string },
): Promise<{ payments: PaymentRecord[]; has_more: boolean }> {
  let query = db.selectFrom('payments').selectAll().where('app_id', '=', app_id);
  if (options.starting_after !== undefined) query = query.where('id', '<', options.starting_after);
  if (options.state !== undefined) query = query.where('state', '=', options.state);
  const rows = (await query
    .orderBy('id', 'desc')
    .limit(options.limit + 1)
    .execute()) as PaymentRecord[];
  return { payments: rows.slice(0, options.limit), has_more: rows.length > options.limit };
}

/** What binding a QR cashier payment to the wallet that opened it sets. */
export interface CashierBinding {
  channel: string;
  channel_account_id: string;
  payer_json: string | null;
  next_check_at: number;
}

/**
 * Binds (or, with channel '', unbinds) a QR cashier payment to a wallet, only if nobody changed it
 * since it was read and it is still CREATED: the version check is what keeps two payers, or a
 * payer and the expiry job, from both taking it.
 */
export async function bindCashierPaymentIfVersion(
  db: Db,
  id: string,
  expected_version: number,
  binding: CashierBinding,
  now_ms: number,
): Promise<boolean> {
  const result = await db
    .updateTable('payments')
    .set({ ...binding, version: expected_version + 1, updated_at: now_ms })
    .where('id', '=', id)
    .where('version', '=', expected_version)
    .where('state', '=', 'CREATED')
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}
