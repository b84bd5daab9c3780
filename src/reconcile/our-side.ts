import type { Kysely } from 'kysely';
import type { Database } from '../storage/schema.ts';
import type { DayRange, OurRecord, OurSide, RecordKind } from './types.ts';

/**
 * Our side of a reconciliation, read-only, straight from the payments and refunds tables.
 *
 * The day is read in pages by keyset on id (id > last id, ORDER BY id): each page is one ordered
 * scan of the primary key from where the last stopped, so the whole day costs one pass however
 * many pages. The filter is on the time column only (no index on it): the planner then keeps to
 * the primary key instead of the (state, expires_at) index, which would sort every page again.
 * paid_at / succeeded_at are set only by the move to SUCCESS; the state is checked again here.
 */
export const DAY_PAGE_ROWS = 2_000;
/** A day of more records than this is refused rather than read on (a runaway loop guard). */
export const DAY_PAGES_MAX = 25_000;
/** Ids per IN (…) look-up: below SQLite's and PostgreSQL's bound-parameter limits. */
export const LOOKUP_IDS_MAX = 500;

type Db = Kysely<Database>;

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
    let after = '';
    for (let page = 0; page < DAY_PAGES_MAX; page++) {
      const rows =
        kind === 'payment'
          ? await this.#paymentPage(account_id, day, after)
          : await this.#refundPage(account_id, day, after);
      const records = rows.filter((r) => r.state === 'SUCCESS');
      if (records.length > 0) yield records;
      if (rows.length < DAY_PAGE_ROWS) return;
      after = rows[rows.length - 1]!.id;
    }
    throw new Error(`more than ${DAY_PAGES_MAX} pages of ${kind}s in one day`);
  }

  async #paymentPage(account_id: string, day: DayRange, after: string): Promise<OurRecord[]> {
    const rows = await this.db
      .selectFrom('payments')
      .select(['id', 'channel_account_id', 'state', 'amount_fen', 'paid_at'])
      .where('channel_account_id', '=', account_id)
      .where('paid_at', '>=', day.start_ms)
      .where('paid_at', '<', day.end_ms)
      .where('id', '>', after)
      .orderBy('id')
      .limit(DAY_PAGE_ROWS)
      .execute();
    return rows.map((r) => ({ kind: 'payment', payment_id: r.id, at_ms: r.paid_at, ...pick(r) }));
  }

  async #refundPage(account_id: string, day: DayRange, after: string): Promise<OurRecord[]> {
    const rows = await this.db
      .selectFrom('refunds')
      .select(['id', 'payment_id', 'channel_account_id', 'state', 'amount_fen', 'succeeded_at'])
      .where('channel_account_id', '=', account_id)
      .where('succeeded_at', '>=', day.start_ms)
      .where('succeeded_at', '<', day.end_ms)
      .where('id', '>', after)
      .orderBy('id')
      .limit(DAY_PAGE_ROWS)
      .execute();
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
