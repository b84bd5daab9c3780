import type { Kysely, Selectable } from 'kysely';
import type { Database, DeliveryAttemptTable } from '../schema.ts';

export type DeliveryAttemptRecord = Selectable<DeliveryAttemptTable>;

export async function insertDeliveryAttempt(
  db: Kysely<Database>,
  attempt: DeliveryAttemptRecord,
): Promise<void> {
  await db.insertInto('delivery_attempts').values(attempt).execute();
}

export async function listDeliveryAttempts(
  db: Kysely<Database>,
  event_id: string,
): Promise<DeliveryAttemptRecord[]> {
  return db
    .selectFrom('delivery_attempts')
    .selectAll()
    .where('event_id', '=', event_id)
    .orderBy('attempt_no')
    .execute();
}
