import type { Kysely, Selectable } from 'kysely';
import type { Database, IdempotencyKeyTable } from '../schema.ts';

export type IdempotencyRecord = Selectable<IdempotencyKeyTable>;
type Db = Kysely<Database>;

/** Takes the key for this request; returns false when it already exists (then read it). */
export async function insertIdempotencyKeyIfNew(db: Db, record: IdempotencyRecord): Promise<boolean> {
  const result = await db
    .insertInto('idempotency_keys')
    .values(record)
    .onConflict((oc) => oc.columns(['app_id', 'key']).doNothing())
    .executeTakeFirst();
  return Number(result.numInsertedOrUpdatedRows ?? 0) === 1;
}

export async function findIdempotencyKey(
  db: Db,
  app_id: string,
  key: string,
): Promise<IdempotencyRecord | undefined> {
  return db
    .selectFrom('idempotency_keys')
    .selectAll()
    .where('app_id', '=', app_id)
    .where('key', '=', key)
    .executeTakeFirst();
}

/** Takes over a key whose holder died mid-request (its lock ran out) and that was never finished. */
export async function takeOverStaleIdempotencyKey(
  db: Db,
  app_id: string,
  key: string,
  now_ms: number,
  locked_until: number,
): Promise<boolean> {
  const result = await db
    .updateTable('idempotency_keys')
    .set({ locked_until })
    .where('app_id', '=', app_id)
    .where('key', '=', key)
    .where('state', '=', 'in_progress')
    .where('locked_until', '<', now_ms)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

export async function completeIdempotencyKey(
  db: Db,
  app_id: string,
  key: string,
  status: number,
  body: string,
): Promise<void> {
  await db
    .updateTable('idempotency_keys')
    .set({ state: 'done', response_status: status, response_body: body })
    .where('app_id', '=', app_id)
    .where('key', '=', key)
    .execute();
}

/** Frees a key whose request failed before doing anything, so the merchant may retry with it. */
export async function releaseIdempotencyKey(db: Db, app_id: string, key: string): Promise<void> {
  await db
    .deleteFrom('idempotency_keys')
    .where('app_id', '=', app_id)
    .where('key', '=', key)
    .where('state', '=', 'in_progress')
    .execute();
}

export async function deleteExpiredIdempotencyKeys(db: Db, now_ms: number, limit: number): Promise<number> {
  const rows = await db
    .selectFrom('idempotency_keys')
    .select(['app_id', 'key'])
    .where('expires_at', '<', now_ms)
    .limit(limit)
    .execute();
  for (const row of rows) {
    await db
      .deleteFrom('idempotency_keys')
      .where('app_id', '=', row.app_id)
      .where('key', '=', row.key)
      .execute();
  }
  return rows.length;
}
