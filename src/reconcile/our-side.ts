import { type Kysely, sql } from 'kysely';
import type { Database } from '../storage/schema.ts';
import type { DayRange, OurRecord, OurSide, RecordKind } from './types.ts';

/**
 * Our side of a reconciliation, read-only, straight from the payments and refunds tables.
 *
 * The day is read in pages by keyset on (time, id) — paid_at or succeeded_at, then id — through
 * the indexes (channel_account_id, paid_at, id) and (channel_account_id, succeeded_at, id): each
 * page is one seek into the account's day and a short ordered walk, so a day costs what it holds,
 * not the whole table (which a scan of the primary key did, for every account, every day).
 * paid_at / succeeded_at are set only by the move to SUCCESS; the state is checked again here.
 */
export const DAY_PAGE_ROWS = 2_000;
/** A day of more records than this is refused rather than read on (a runaway loop guard). */
export const DAY_PAGES_MAX = 25_000;
/** Ids per IN (…) look-up: below SQLite's and PostgreSQL's bound-parameter limits. */
export const LOOKUP_IDS_MAX = 500;

type Db = Kysely<Database>;

/** Where the last page stopped: its last record's time and id. */
interface Keyset {
  at_ms: number;
  id: string;
}

export class DatabaseOurSide implements OurSide {
  constructor(private readonly db: Db) {}

  async *dayPages(account_id: string, day: DayRange): AsyncGenerator<readonly OurRecord[]> {
    yield* this.#pages('payment', account_id, day);
    yield* this.#pages('refund', account_id, day);
  }

  async find(kind: RecordKind, ids: readonly string[]): Promise<OurRecord[]> {
    if (ids.length === 0) return [];
    if (ids.length > LOOKUP_IDS_MAX) throw new Error(`at most ${LOOKUP_IDS_MAX} ids per look-up`);
    return kind === 'payment' ? this.#payments(ids) : this.#refunds(ids);
  }

  async *#pages(kind: RecordKind, account_id: string, day: DayRange): AsyncGenerator<OurRecord[]> {
    let after: Keyset | null = null;
    for (let page = 0; page < DAY_PAGES_MAX; page++) {
      const rows: OurRecord[] =
        kind === 'payment'
          ? await this.#paymentPage(account_id, day, after)
          : await this.#refundPage(account_id, day, after);
      const records = rows.filter((r) => r.state === 'SUCCESS');
      if (records.length > 0) yield records;
      if (rows.length < DAY_PAGE_ROWS) return;
      const last = rows[rows.length - 1]!;
      after = { at_ms: last.at_ms ?? day.start_ms, id: last.id };
    }
    throw new Error(`more than ${DAY_PAGES_MAX} pages of ${kind}s in one day`);
  }

  async #paymentPage(account_id: string, day: DayRange, after: Keyset | null): Promise<OurRecord[]> {
    let query = this.db
      .selectFrom('payments')
      .select(['id', 'channel_account_id', 'state', 'amount_fen', 'paid_at'])
      .where('channel_account_id', '=', account_id)
      // One lower bound only: SQLite seeks by one, and it must be where the last page stopped.
      .where('paid_at', '>=', after ? after.at_ms : day.start_ms)
      .where('paid_at', '<', day.end_ms);
    // The ties at the last page's time: only those after its last id.
    if (after) query = query.where(sql<boolean>`(paid_at > ${after.at_ms} or id > ${after.id})`);
    const rows = await query.orderBy('paid_at').orderBy('id').limit(DAY_PAGE_ROWS).execute();
    return rows.map((r) => ({ kind: 'payment', payment_id: r.id, at_ms: r.paid_at, ...pick(r) }));
  }

  async #refundPage(account_id: string, day: DayRange, after: Keyset | null): Promise<OurRecord[]> {
    let query = this.db
      .selectFrom('refunds')
      .select(['id', 'payment_id', 'channel_account_id', 'state', 'amount_fen', 'succeeded_at'])
      .where('channel_account_id', '=', account_id)
      // One lower bound only: SQLite seeks by one, and it must be where the last page stopped.
      .where('succeeded_at', '>=', after ? after.at_ms : day.start_ms)
      .where('succeeded_at', '<', day.end_ms);
    if (after) query = query.where(sql<boolean>`(succeeded_at > ${after.at_ms} or id > ${after.id})`);
    const rows = await query.orderBy('succeeded_at').orderBy('id').limit(DAY_PAGE_ROWS).execute();
    return rows.map((r) => ({ kind: 'refund', payment_id: r.payment_id, at_ms: r.succeeded_at, ...pick(r) }));
  }

  async #payments(ids: readonly string[]): Promise<OurRecord[]> {
    const rows = await this.db
      .selectFrom('payments')
      .select(['id', 'channel_account_id', 'state', 'amount_fen', 'paid_at'])
      .where('id', 'in', ids)
      .execute();
    return rows.map((r) => ({ kind: 'payment', payment_id: r.id, at_ms: r.paid_at, ...pick(r) }));
  }

  async #refunds(ids: readonly string[]): Promise<OurRecord[]> {
    const rows = await this.db
      .selectFrom('refunds')
      .select(['id', 'payment_id', 'channel_account_id', 'state', 'amount_fen', 'succeeded_at'])
      .where('id', 'in', ids)
      .execute();
    return rows.map((r) => ({ kind: 'refund', payment_id: r.payment_id, at_ms: r.succeeded_at, ...pick(r) }));
  }
}

function pick(r: { id: string; channel_account_id: string; state: string; amount_fen: number }) {
  return {
    id: r.id,
    channel_account_id: r.channel_account_id,
    state: r.state,
    amount_fen: Number(r.amount_fen),
  };
}

/** Enabled accounts of one channel, oldest first, at most `limit`. */
export async function enabledAccountIdsOf(db: Db, channel: string, limit: number): Promise<string[]> {
  const rows = await db
    .selectFrom('channel_accounts')
    .select('id')
    .where('channel', '=', channel)
    .where('status', '=', 'enabled')
    .orderBy('created_at')
    .orderBy('id')
    .limit(limit)
    .execute();
  return rows.map((r) => r.id);
}
