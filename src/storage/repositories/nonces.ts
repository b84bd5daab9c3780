import type { Kysely } from 'kysely';
import type { Database } from '../schema.ts';

type Db = Kysely<Database>;

/** Records a request nonce; false when this app already used it (a replay). */
export async function insertNonceIfNew(
  db: Db,
  app_id: string,
  nonce: string,
  expires_at: number,
): Promise<boolean> {
  const result = await db
    .insertInto('request_nonces')
    .values({ app_id, nonce, expires_at })
    .onConflict((oc) => oc.columns(['app_id', 'nonce']).doNothing())
    .executeTakeFirst();
  return Number(result.numInsertedOrUpdatedRows ?? 0) === 1;
}

/** Nonces older than the signature window can no longer be replayed (the timestamp check refuses them). */
export async function deleteExpiredNonces(db: Db, now_ms: number): Promise<number> {
  const result = await db.deleteFrom('request_nonces').where('expires_at', '<', now_ms).executeTakeFirst();
  return Number(result.numDeletedRows);
}
