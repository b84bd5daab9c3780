import { type Kysely, type Selectable, sql } from 'kysely';
import type { Database, EventTable } from '../schema.ts';

export type EventRecord = Selectable<EventTable>;
type Db = Kysely<Database>;

/**
 * Writes an event unless one with the same dedupe key exists (a fact is told once, whichever
 * path noticed it first). Returns whether it was written.
 */
export async function insertEventOnce(db: Db, event: EventRecord): Promise<boolean> {
  const result = await db
    .insertInto('events')
    .values(event)
    .onConflict((oc) => oc.column('dedupe_key').doNothing())
    .executeTakeFirst();
  return Number(result.numInsertedOrUpdatedRows ?? 0) === 1;
}

/**
 * Claims up to `limit` due events for delivery: one conditional UPDATE marks them with this
 * worker's lease (owner token and expiry), one SELECT reads back exactly those. An event whose
 * lease another worker holds is skipped, on either database and across processes.
 */
export async function claimDueEvents(
  db: Db,
  now_ms: number,
  lease_ms: number,
  limit: number,
  owner: string,
): Promise<EventRecord[]> {
  const candidates = await db
    .selectFrom('events')
    .select(['id'])
    .where('delivery_state', '=', 'pending')
    .where('next_attempt_at', '<=', now_ms)
    .where((eb) => eb.or([eb('lease_until', 'is', null), eb('lease_until', '<', now_ms)]))
    .orderBy('next_attempt_at')
    .limit(limit)
    .execute();
  if (candidates.length === 0) return [];
  const ids = candidates.map((c) => c.id);
  await db
    .updateTable('events')
    .set({ lease_until: now_ms + lease_ms, lease_owner: owner })
    .where('id', 'in', ids)
    // Compared as `delivery_state || ''` on purpose: on the column itself SQLite preferred the
    // (delivery_state, next_attempt_at) index to the primary key once the list held more than one
    // id, and read every pending event on each claim (a quarter of the deliverer's time with
    // 12,000 waiting, and worse the longer a merchant's endpoint is down).
    .where(sql<string>`${sql.ref('delivery_state')} || ''`, '=', 'pending')
    .where((eb) => eb.or([eb('lease_until', 'is', null), eb('lease_until', '<', now_ms)]))
    .execute();
  return db
    .selectFrom('events')
    .selectAll()
    .where('id', 'in', ids)
    .where('lease_owner', '=', owner)
    .execute();
}

export async function findEvent(db: Db, id: string): Promise<EventRecord | undefined> {
  return db.selectFrom('events').selectAll().where('id', '=', id).executeTakeFirst();
}

export async function listEventsOfPayment(db: Db, payment_id: string): Promise<EventRecord[]> {
  return db.selectFrom('events').selectAll().where('payment_id', '=', payment_id).orderBy('id').execute();
}

export interface DeliveryResult {
  attempts: number;
  delivered_at: number | null;
  next_attempt_at: number | null;
  last_error: string | null;
}

/** Records the end of one delivery attempt and releases the lease. */
export async function finishDelivery(db: Db, id: string, result: DeliveryResult): Promise<void> {
  const delivery_state =
    result.delivered_at !== null ? 'delivered' : result.next_attempt_at === null ? 'exhausted' : 'pending';
  await db
    .updateTable('events')
    .set({ ...result, delivery_state, lease_until: null, lease_owner: null })
    .where('id', '=', id)
    .execute();
}

/** How many events of one type a payment has (bounds the events a payer's retries can cause). */
export async function countPaymentEvents(db: Db, payment_id: string, type: string): Promise<number> {
  const row = await db
    .selectFrom('events')
    .select((eb) => eb.fn.countAll<string | number>().as('n'))
    .where('payment_id', '=', payment_id)
    .where('type', '=', type)
    .executeTakeFirstOrThrow();
  return Number(row.n);
}
