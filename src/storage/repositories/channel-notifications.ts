import type { Kysely, Selectable } from 'kysely';
import type { ChannelNotificationTable, Database } from '../schema.ts';

/** Every notification a channel sent us, with what we made of it: the audit trail of "who said paid". */
export type ChannelNotificationRecord = Selectable<ChannelNotificationTable>;

export async function insertChannelNotification(
  db: Kysely<Database>,
  record: ChannelNotificationRecord,
): Promise<void> {
  await db.insertInto('channel_notifications').values(record).execute();
}

export async function listChannelNotifications(
  db: Kysely<Database>,
  payment_id: string,
): Promise<ChannelNotificationRecord[]> {
  return db
    .selectFrom('channel_notifications')
    .selectAll()
    .where('payment_id', '=', payment_id)
    .orderBy('received_at')
    .execute();
}
