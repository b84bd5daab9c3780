import type { BillRow } from '../channels/types.ts';
import { IdTable } from './id-table.ts';
import { billRowSettled } from './settled-status.ts';
import type {
  BillTotals,
  DayRange,
  DiscrepancyClass,
  DiscrepancyItem,
  OurRecord,
  RecordKind,
  SideTotals,
  TheirSide,
} from './types.ts';

/**
 * Matching of one account's bill of one Beijing day with our records, without I/O:
 *   1. addOurs() every SUCCESS payment / refund of ours in the day (the index, IdTable);
 *   2. offer() every bill row: a row found in the index is decided at once; any other row needs
 *      our record looked up by id (the caller batches those look-ups) and is decided by resolve();
 *   3. checkOurs() every record of the day again: one no bill row touched is missing at the channel.
 * Memory is the index (bounded per record, see id-table.ts); bill rows are never kept.
 */
export type Verdict =
  | { kind: 'matched' }
  | { kind: 'item'; item: DiscrepancyItem }
  | { kind: 'lookup'; record_kind: RecordKind; id: string };

export interface MatchCounts {
  bill_rows: number;
  matched: number;
  /** Matched a record of ours whose paid / refunded time is on another Beijing day. */
  matched_other_day: number;
}

/** Our states that mean "it happened" for a payment or refund. */
const DONE_STATE = 'SUCCESS';
/** Payment states a channel's cancel row (UnionPay CANCEL) agrees with. */
const CANCELLED_STATES: readonly string[] = ['REVERSED', 'CLOSED'];

function keyOf(kind: RecordKind, id: string): string {
  return `${kind === 'payment' ? 'p' : 'r'}${id}`;
}

/** The record a bill row is about: a cancel row (a refund row without a refund id) is about its payment. */
function targetOf(row: BillRow): { kind: RecordKind; id: string; cancel: boolean } {
  if (row.kind === 'payment') return { kind: 'payment', id: row.out_trade_no, cancel: false };
  if (row.out_refund_no) return { kind: 'refund', id: row.out_refund_no, cancel: false };
  return { kind: 'payment', id: row.out_trade_no, cancel: true };
}

function theirsOf(row: BillRow): TheirSide {
  return {
    channel_status: row.channel_status,
    amount_fen: row.amount_fen,
    fee_fen: row.fee_fen ?? null,
    at_ms: row.at_ms,
    channel_trade_no: row.channel_trade_no,
  };
}

function oursOf(record: OurRecord): DiscrepancyItem['ours'] {
  return {
    state: record.state,
    amount_fen: record.amount_fen,
    at_ms: record.at_ms,
    channel_account_id: record.channel_account_id,
  };
}

export class BillMatcher {
  readonly #table = new IdTable();
  readonly ours: SideTotals = { payments_count: 0, payments_fen: 0, refunds_count: 0, refunds_fen: 0 };
  readonly bill: BillTotals = {
    payments_count: 0,
    payments_fen: 0,
    refunds_count: 0,
    refunds_fen: 0,
    fees_fen: 0,
    rows_without_fee: 0,
  };
  readonly counts: MatchCounts = { bill_rows: 0, matched: 0, matched_other_day: 0 };

  constructor(
    readonly channel: string,
    readonly account_id: string,
    readonly day: DayRange,
  ) {}

  /** Step 1: one record of our day (SUCCESS, on this account, at_ms within the day). */
  addOurs(record: OurRecord): void {
    this.#table.add(keyOf(record.kind, record.id), record.amount_fen);
    if (record.kind === 'payment') {
      this.ours.payments_count++;
      this.ours.payments_fen += record.amount_fen;
    } else {
      this.ours.refunds_count++;
      this.ours.refunds_fen += record.amount_fen;
    }
  }

  /** Step 2: one bill row. */
  offer(row: BillRow): Verdict {
    this.#count(row);
    const target = targetOf(row);
    if (target.cancel) return { kind: 'lookup', record_kind: 'payment', id: target.id };
    const hit = this.#table.find(keyOf(target.kind, target.id));
    if (hit === null) return { kind: 'lookup', record_kind: target.kind, id: target.id };
    const ours: OurRecord = {
      kind: target.kind,
      id: target.id,
      payment_id: row.out_trade_no,
      channel_account_id: this.account_id,
      state: DONE_STATE,
      amount_fen: hit.amount_fen,
      at_ms: null,
    };
    if (hit.seen) return this.#item('duplicate_row', row, ours, 'the bill lists this trade more than once');
    this.#table.markSeen(hit.slot);
    return this.#compare(row, ours, false);
  }

  /** Step 2, for a row offer() could not decide: `record` is ours with the row's id, if any. */
  resolve(row: BillRow, record: OurRecord | undefined): Verdict {
    const target = targetOf(row);
    if (record === undefined)
      return this.#item('missing_here', row, null, `no ${target.kind} of ours has this id`);
    if (record.channel_account_id !== this.account_id)
      return this.#item('missing_here', row, record, 'our record belongs to another channel account');
    if (target.cancel) {
      if (CANCELLED_STATES.includes(record.state)) return this.#matched(false);
      return this.#item('status_mismatch', row, record, 'the bill cancels a payment we have not ended so');
    }
    // Touched by the bill: step 3 must not call it missing, even if it became SUCCESS meanwhile.
    this.#table.add(keyOf(record.kind, record.id), record.amount_fen, true);
    if (record.state === DONE_STATE) return this.#compare(row, record, true);
    if (!billRowSettled(this.channel, row)) return this.#matched(false);
    // A charge we reversed: channels that bill the charge and its cancel as two rows (UnionPay's
    // CONSUME then CANCEL) show the charge as done; the cancel row is matched on its own above.
    // Known gap: a reversal whose cancel row is missing from the bill is not flagged.
    if (record.state === 'REVERSED' && record.kind === 'payment') return this.#matched(false);
    return this.#item(
      'status_mismatch',
      row,
      record,
      `the bill says it happened, we say ${record.state}`,
      true,
    );
  }

  /** Step 3: one record of our day; an item when no bill row matched it. */
  checkOurs(record: OurRecord): DiscrepancyItem | null {
    const hit = this.#table.find(keyOf(record.kind, record.id));
    if (hit?.seen) return null;
    return {
      class: 'missing_at_channel',
      kind: record.kind,
      our_id: record.id,
      payment_id: record.payment_id,
      ours: oursOf(record),
      theirs: null,
      repairable: false,
      resolution: 'unresolved',
      detail: `our ${record.kind} is SUCCESS on this day; the bill has no row for it`,
    };
  }

  #compare(row: BillRow, ours: OurRecord, looked_up: boolean): Verdict {
    if (!billRowSettled(this.channel, row))
      return this.#item('status_mismatch', row, ours, `we say SUCCESS, the bill says ${row.channel_status}`);
    if (row.amount_fen !== ours.amount_fen)
      return this.#item(
        'amount_mismatch',
        row,
        ours,
        `the bill says ${row.amount_fen} fen, we say ${ours.amount_fen}`,
      );
    const other_day =
      looked_up && (ours.at_ms === null || ours.at_ms < this.day.start_ms || ours.at_ms >= this.day.end_ms);
    return this.#matched(other_day);
  }

  #matched(other_day: boolean): Verdict {
    this.counts.matched++;
    if (other_day) this.counts.matched_other_day++;
    return { kind: 'matched' };
  }

  #item(
    cls: DiscrepancyClass,
    row: BillRow,
    ours: OurRecord | null,
    detail: string,
    repairable = false,
  ): Verdict {
    const target = targetOf(row);
    return {
      kind: 'item',
      item: {
        class: cls,
        kind: target.kind,
        our_id: target.id,
        payment_id: row.out_trade_no,
        ours: ours === null ? null : oursOf(ours),
        theirs: theirsOf(row),
        repairable,
        resolution: 'unresolved',
        detail,
      },
    };
  }

  #count(row: BillRow): void {
    this.counts.bill_rows++;
    if (row.kind === 'payment') {
      this.bill.payments_count++;
      this.bill.payments_fen += row.amount_fen;
    } else {
      this.bill.refunds_count++;
      this.bill.refunds_fen += row.amount_fen;
    }
    if (row.fee_fen === undefined) this.bill.rows_without_fee++;
    else this.bill.fees_fen += row.fee_fen;
  }
}
