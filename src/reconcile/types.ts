/**
 * The words of reconciliation: what a bill row is matched against (our record), the classes a
 * difference falls into, and one reported item. No I/O here.
 */

export const DISCREPANCY_CLASSES = [
  /** The bill has a row we have no record of (or a record of another account). */
  'missing_here',
  /** We have a SUCCESS payment / refund of the day on the account; the bill does not. */
  'missing_at_channel',
  'amount_mismatch',
  /** The bill and we disagree on whether it happened (a lost order is one of these). */
  'status_mismatch',
  /** The same trade twice in one bill. */
  'duplicate_row',
] as const;
export type DiscrepancyClass = (typeof DISCREPANCY_CLASSES)[number];

export type RecordKind = 'payment' | 'refund';

/** One payment or refund of ours, as much as matching needs. */
export interface OurRecord {
  kind: RecordKind;
  id: string;
  /** The payment itself, or the payment a refund refunds. */
  payment_id: string;
  channel_account_id: string;
  state: string;
  amount_fen: number;
  /** paid_at of a payment, succeeded_at of a refund; null while it has not happened. */
  at_ms: number | null;
}

/** Our side of one account and Beijing day: pages of the day's records, and point look-ups. */
export interface OurSide {
  /** SUCCESS payments paid and SUCCESS refunds succeeded in [start_ms, end_ms), in bounded pages. */
  dayPages(account_id: string, day: DayRange): AsyncIterable<readonly OurRecord[]>;
  /** The records with these ids, of any account and state; ids not found are left out. */
  find(kind: RecordKind, ids: readonly string[]): Promise<OurRecord[]>;
}

export interface DayRange {
  bill_date: string;
  start_ms: number;
  end_ms: number;
}

export interface TheirSide {
  channel_status: string;
  amount_fen: number;
  fee_fen: number | null;
  at_ms: number;
  channel_trade_no: string;
}

export interface OurSideValues {
  state: string;
  amount_fen: number;
  at_ms: number | null;
  channel_account_id: string;
}

export type Resolution = 'unresolved' | 'repaired';

export interface DiscrepancyItem {
  class: DiscrepancyClass;
  kind: RecordKind;
  /** Our payment or refund id (as the bill names it, or as we have it). */
  our_id: string;
  /** Our payment id the row belongs to (for refunds, the refunded payment). */
  payment_id: string;
  ours: OurSideValues | null;
  theirs: TheirSide | null;
  /** A query at the channel may settle it (status_mismatch where the bill says it happened). */
  repairable: boolean;
  resolution: Resolution;
  detail: string;
}

/** What the channel answered a repair query, and what applying it did: the audit trail. */
export interface RepairRecord {
  kind: RecordKind;
  id: string;
  at_ms: number;
  state_before: string;
  state_after: string;
  /** The channel's own status word from the query, when it answered. */
  channel_status: string | null;
  outcome: 'repaired' | 'not_repaired';
  detail: string;
}

export interface SideTotals {
  payments_count: number;
  payments_fen: number;
  refunds_count: number;
  refunds_fen: number;
}

export interface BillTotals extends SideTotals {
  /** Sum of the fee column as the channel states it (its sign conventions differ per channel). */
  fees_fen: number;
  rows_without_fee: number;
}
