import type { Kysely, Selectable } from 'kysely';
import type { Database, StaticCodeTable } from '../schema.ts';

export type StaticCodeRecord = Selectable<StaticCodeTable>;
type Db = Kysely<Database>;

export async function insertStaticCode(db: Db, code: StaticCodeRecord): Promise<void> {
  await db.insertInto('static_codes').values(code).execute();
}

export async function findStaticCode(db: Db, id: string): Promise<StaticCodeRecord | undefined> {
  return db.selectFrom('static_codes').selectAll().where('id', '=', id).executeTakeFirst();
}

/** An app's codes, newest first; at most `limit` (a merchant has a handful, one per store or till). */
export async function listStaticCodes(db: Db, app_id: string, limit: number): Promise<StaticCodeRecord[]> {
  return db
    .selectFrom('static_codes')
    .selectAll()
    .where('app_id', '=', app_id)
    .orderBy('created_at', 'desc')
    .orderBy('id', 'desc')
    .limit(limit)
    .execute();
}

export async function setStaticCodeStatus(
  db: Db,
  app_id: string,
  id: string,
  status: StaticCodeRecord['status'],
): Promise<boolean> {
  const result = await db
    .updateTable('static_codes')
    .set({ status })
    .where('id', '=', id)
    .where('app_id', '=', app_id)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}
