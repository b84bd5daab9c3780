import type { Kysely, Selectable } from 'kysely';
import type { RefundState } from '../../domain/refund-state.ts';
import type { Database, RefundTable } from '../schema.ts';
import { claimDueCheckIds, inIdOrder, oldestDueCheckAt, scheduleCheckOf } from './checks.ts';

export type RefundRecord = Omit<Selectable<RefundTable>, 'state'> & { state: RefundState };
type Db = Kysely<Database>;

/**
 * Reserves `amount_fen` of a SUCCESS payment for a refund, atomically: the update only happens
 * while the reserved total stays within the payment. On PostgreSQL the row lock taken by the
 * update serialises racing refunds; the condition is checked again after the lock.
 */
export async function reserveRefundAmount(db: Db, payment_id: string, amount_fen: number): Promise<boolean> {
  const result = await db
    .updateTable('payments')
    .set((eb) => ({ refund_reserved_fen: eb('refund_reserved_fen', '+', amount_fen) }))
    .where('id', '=', payment_id)
    .where('state', '=', 'SUCCESS')
    .where((eb) => eb(eb('refund_reserved_fen', '+', amount_fen), '<=', eb.ref('amount_fen')))
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

/** Gives back the reservation of a refund that closed without moving money. */
export async function releaseRefundAmount(db: Db, payment_id: string, amount_fen: number): Promise<void> {
  await db
    .updateTable('payments')
    .set((eb) => ({ refund_reserved_fen: eb('refund_reserved_fen', '-', amount_fen) }))
    .where('id', '=', payment_id)
    .execute();
}

export async function insertRefundIfNew(db: Db, refund: RefundRecord): Promise<boolean> {
  const result = await db
    .insertInto('refunds')
    .values(refund)
    .onConflict((oc) => oc.columns(['app_id', 'merchant_refund_no']).doNothing())
    .executeTakeFirst();
  return Number(result.numInsertedOrUpdatedRows ?? 0) === 1;
}

export async function findRefundById(db: Db, id: string): Promise<RefundRecord | undefined> {
  return (await db.selectFrom('refunds').selectAll().where('id', '=', id).executeTakeFirst()) as
    | RefundRecord
    | undefined;
}

export async function findRefundByNo(
  db: Db,
  app_id: string,
  merchant_refund_no: string,
): Promise<RefundRecord | undefined> {
  return (await db
    .selectFrom('refunds')
    .selectAll()
    .where('app_id', '=', app_id)
    .where('merchant_refund_no', '=', merchant_refund_no)
    .executeTakeFirst()) as RefundRecord | undefined;
}

/** A payment's refunds, oldest first; a payment has at most REFUNDS_PER_PAYMENT_MAX of them. */
export async function listRefundsOfPayment(
  db: Db,
  payment_id: string,
  limit: number,
): Promise<RefundRecord[]> {
  return (await db
    .selectFrom('refunds')
    .selectAll()
    .where('payment_id', '=', payment_id)
    .orderBy('id')
    .limit(limit)
    .execute()) as RefundRecord[];
}

export async function countRefundsOfPayment(db: Db, payment_id: string): Promise<number> {
  const row = await db
    .selectFrom('refunds')
    .select((eb) => eb.fn.countAll().as('n'))
    .where('payment_id', '=', payment_id)
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

export type RefundChanges = Partial<
  Pick<
    RefundRecord,
    | 'state'
    | 'channel_refund_no'
    | 'channel_status'
    | 'failure_code'
    | 'failure_message'
    | 'succeeded_at'
    | 'next_check_at'
  >
>;

export async function updateRefundIfVersion(
  db: Db,
  id: string,
  expected_version: number,
  changes: RefundChanges,
  now_ms: number,
): Promise<boolean> {
  const result = await db
    .updateTable('refunds')
    .set({ ...changes, version: expected_version + 1, updated_at: now_ms })
    .where('id', '=', id)
    .where('version', '=', expected_version)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

/** Refunds the channel may still move (ABNORMAL may yet end SUCCESS or CLOSED): the sync job asks about these. */
export const OPEN_REFUND_STATES = ['PROCESSING', 'ABNORMAL'] as const;

/** When the most overdue refund check was due, or null when none is due. */
export function oldestDueRefundCheckAt(db: Db, now_ms: number): Promise<number | null> {
  return oldestDueCheckAt(db, 'refunds', OPEN_REFUND_STATES, now_ms);
}

/** Claims refunds whose check is due (see claimDueChecks for payments). */
export async function claimDueRefundChecks(
  db: Db,
  now_ms: number,
  lease_ms: number,
  limit: number,
): Promise<RefundRecord[]> {
  const ids = await claimDueCheckIds(db, 'refunds', OPEN_REFUND_STATES, now_ms, lease_ms, limit);
  if (ids.length === 0) return [];
  const rows = (await db
    .selectFrom('refunds')
    .selectAll()
    .where('id', 'in', ids)
    .execute()) as RefundRecord[];
  return inIdOrder(ids, rows);
}

export async function scheduleRefundCheck(
  db: Db,
  id: string,
  next_check_at: number,
  check_attempts: number,
): Promise<void> {
  await scheduleCheckOf(db, 'refunds', OPEN_REFUND_STATES, id, next_check_at, check_attempts);
}
