import type { Kysely, Selectable } from 'kysely';
import type { AppTable, ChannelAccountTable, Database, MerchantTable } from '../schema.ts';

/** Merchants, their apps (API credentials) and their channel accounts. Secrets stay sealed here. */
export type MerchantRecord = Selectable<MerchantTable>;
export type AppRecord = Selectable<AppTable>;
export type ChannelAccountRecord = Selectable<ChannelAccountTable>;
type Db = Kysely<Database>;

export async function insertMerchant(db: Db, merchant: MerchantRecord): Promise<void> {
  await db.insertInto('merchants').values(merchant).execute();
}

export async function findMerchant(db: Db, id: string): Promise<MerchantRecord | undefined> {
  return db.selectFrom('merchants').selectAll().where('id', '=', id).executeTakeFirst();
}

export async function insertApp(db: Db, app: AppRecord): Promise<void> {
  await db.insertInto('apps').values(app).execute();
}

export async function findApp(db: Db, id: string): Promise<AppRecord | undefined> {
  return db.selectFrom('apps').selectAll().where('id', '=', id).executeTakeFirst();
}

export async function insertChannelAccount(db: Db, account: ChannelAccountRecord): Promise<void> {
  await db.insertInto('channel_accounts').values(account).execute();
}

export async function findChannelAccount(db: Db, id: string): Promise<ChannelAccountRecord | undefined> {
  return db.selectFrom('channel_accounts').selectAll().where('id', '=', id).executeTakeFirst();
}

/** Enabled accounts of a merchant on one channel, oldest first (routing picks among them). */
export async function listEnabledChannelAccounts(
  db: Db,
  merchant_id: string,
  channel: string,
): Promise<ChannelAccountRecord[]> {
  return db
    .selectFrom('channel_accounts')
    .selectAll()
    .where('merchant_id', '=', merchant_id)
    .where('channel', '=', channel)
    .where('status', '=', 'enabled')
    .orderBy('created_at')
    .execute();
}

/** Replaces an app's secrets: the current one becomes the previous (still accepted) one. */
export async function updateAppSecrets(
  db: Db,
  app_id: string,
  secret_sealed: string,
  previous_secret_sealed: string | null,
): Promise<boolean> {
  const result = await db
    .updateTable('apps')
    .set({ secret_sealed, previous_secret_sealed })
    .where('id', '=', app_id)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}
