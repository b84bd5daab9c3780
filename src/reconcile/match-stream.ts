import type { BillRow } from '../channels/types.ts';
import type { BillMatcher } from './matcher.ts';
import { LOOKUP_IDS_MAX } from './our-side.ts';
import type { DiscrepancyItem, OurSide, RecordKind } from './types.ts';

/**
 * Drives a BillMatcher over a stream of bill rows and our side (the three steps of matcher.ts),
 * batching the look-ups of rows not in the day's index. Items go to `emit` as they are found, so
 * nothing grows with the bill but the held repair candidates (at most `repairs_max`).
 */
export const BILL_ROWS_READ_MAX = 10_000_000;

export interface MatchStreamOptions {
  emit: (item: DiscrepancyItem) => Promise<void>;
  /** Repairable items beyond this many are reported unresolved at once. */
  repairs_max: number;
}

export async function matchStream(
  rows: AsyncIterable<BillRow>,
  our: OurSide,
  matcher: BillMatcher,
  options: MatchStreamOptions,
): Promise<DiscrepancyItem[]> {
  const held: DiscrepancyItem[] = [];
  const take = async (item: DiscrepancyItem) => {
    if (!item.repairable) return options.emit(item);
    if (held.length < options.repairs_max) {
      held.push(item);
      return;
    }
    await options.emit({
      ...item,
      detail: `${item.detail}; not repaired: over ${options.repairs_max} repairs in one run`,
    });
  };

  for await (const page of our.dayPages(matcher.account_id, matcher.day)) {
    for (const record of page) matcher.addOurs(record);
  }

  const pending: Record<RecordKind, { row: BillRow; id: string }[]> = { payment: [], refund: [] };
  const flush = async (kind: RecordKind) => {
    const batch = pending[kind];
    if (batch.length === 0) return;
    pending[kind] = [];
    const found = new Map((await our.find(kind, [...new Set(batch.map((b) => b.id))])).map((r) => [r.id, r]));
    for (const { row, id } of batch) {
      const verdict = matcher.resolve(row, found.get(id));
      if (verdict.kind === 'item') await take(verdict.item);
    }
  };
  let read = 0;
  for await (const row of rows) {
    if (++read > BILL_ROWS_READ_MAX) throw new Error(`more than ${BILL_ROWS_READ_MAX} bill rows`);
    const verdict = matcher.offer(row);
    if (verdict.kind === 'item') await take(verdict.item);
    else if (verdict.kind === 'lookup') {
      pending[verdict.record_kind].push({ row, id: verdict.id });
      if (pending[verdict.record_kind].length >= LOOKUP_IDS_MAX) await flush(verdict.record_kind);
    }
  }
  await flush('payment');
  await flush('refund');

  for await (const page of our.dayPages(matcher.account_id, matcher.day)) {
    for (const record of page) {
      const item = matcher.checkOurs(record);
      if (item) await options.emit(item);
    }
  }
  return held;
}
