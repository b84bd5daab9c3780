import { once } from 'node:events';
import { createWriteStream, type WriteStream } from 'node:fs';
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { MatchCounts } from './matcher.ts';
import {
  type BillTotals,
  DISCREPANCY_CLASSES,
  type DiscrepancyClass,
  type DiscrepancyItem,
  type RepairRecord,
  type SideTotals,
} from './types.ts';

/**
 * The two files of one account's reconciliation: `<account>.csv`, every item, streamed as found;
 * `<account>.json`, the summary, totals, repairs and the first ITEMS_IN_JSON_MAX items (the CSV
 * has them all — a day of a million differences must not be held in memory). Both are written to
 * a temporary name and renamed, so a reader never sees half a report. Neither holds secrets:
 * only ids, states, amounts and the channel's status words.
 */
export const ITEMS_IN_JSON_MAX = 10_000;

const CSV_COLUMNS = [
  'class',
  'resolution',
  'kind',
  'our_id',
  'payment_id',
  'our_state',
  'our_amount_fen',
  'our_at_ms',
  'channel_status',
  'channel_trade_no',
  'channel_amount_fen',
  'channel_fee_fen',
  'channel_at_ms',
  'detail',
] as const;

/** Quotes a cell; text that a spreadsheet would run as a formula is defused with a leading quote. */
function csvCell(value: string | number | null | undefined): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'number') return String(value);
  const safe = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return /[",\r\n']/.test(safe) ? `"${safe.replaceAll('"', '""')}"` : safe;
}

function csvLine(item: DiscrepancyItem): string {
  const cells = [
    item.class,
    item.resolution,
    item.kind,
    item.our_id,
    item.payment_id,
    item.ours?.state,
    item.ours?.amount_fen,
    item.ours?.at_ms,
    item.theirs?.channel_status,
    item.theirs?.channel_trade_no,
    item.theirs?.amount_fen,
    item.theirs?.fee_fen,
    item.theirs?.at_ms,
    item.detail,
  ];
  return `${cells.map(csvCell).join(',')}\r\n`;
}

export type ClassCounts = Record<DiscrepancyClass, { unresolved: number; repaired: number }>;

export interface ReportSummary {
  bill_rows: number;
  matched: number;
  matched_other_day: number;
  unresolved: number;
  repaired: number;
  by_class: ClassCounts;
}

export interface ReportHead {
  channel: string;
  account_id: string;
  bill_date: string;
  started_at_ms: number;
  finished_at_ms: number;
  /** complete: the whole bill was read; bill_unusable: download or parse failed (see error). */
  status: 'complete' | 'bill_unusable';
  error?: string;
}

export interface AccountReport extends ReportHead {
  summary: ReportSummary;
  totals: { bill: BillTotals; ours: SideTotals };
  fees_note: string;
  items: DiscrepancyItem[];
  items_left_out: number;
  repairs: RepairRecord[];
}

export const FEES_NOTE =
  "fees are the sum of the bill's fee column as the channel states it; checking them against a fee plan is not done yet";

export class ReportWriter {
  readonly json_path: string;
  readonly csv_path: string;
  readonly #csv: WriteStream;
  readonly #items: DiscrepancyItem[] = [];
  #left_out = 0;
  readonly #by_class = Object.fromEntries(
    DISCREPANCY_CLASSES.map((c) => [c, { unresolved: 0, repaired: 0 }]),
  ) as ClassCounts;

  private constructor(dir: string, account_id: string) {
    this.json_path = join(dir, `${account_id}.json`);
    this.csv_path = join(dir, `${account_id}.csv`);
    this.#csv = createWriteStream(`${this.csv_path}.part`, { encoding: 'utf8' });
  }

  static async open(dir: string, account_id: string): Promise<ReportWriter> {
    if (!/^[\w-]{1,64}$/.test(account_id)) throw new Error('account id is not usable as a file name');
    await mkdir(dir, { recursive: true });
    const writer = new ReportWriter(dir, account_id);
    await writer.#write(`${CSV_COLUMNS.join(',')}\r\n`);
    return writer;
  }

  async add(item: DiscrepancyItem): Promise<void> {
    this.#by_class[item.class][item.resolution]++;
    if (this.#items.length < ITEMS_IN_JSON_MAX) this.#items.push(item);
    else this.#left_out++;
    await this.#write(csvLine(item));
  }

  /** Writes the JSON report and closes the CSV; returns the report. */
  async finish(
    head: ReportHead,
    counts: MatchCounts,
    totals: AccountReport['totals'],
    repairs: RepairRecord[],
  ): Promise<AccountReport> {
    let unresolved = 0;
    let repaired = 0;
    for (const c of DISCREPANCY_CLASSES) {
      unresolved += this.#by_class[c].unresolved;
      repaired += this.#by_class[c].repaired;
    }
    const report: AccountReport = {
      ...head,
      summary: { ...counts, unresolved, repaired, by_class: this.#by_class },
      totals,
      fees_note: FEES_NOTE,
      items: this.#items,
      items_left_out: this.#left_out,
      repairs,
    };
    this.#csv.end();
    await once(this.#csv, 'finish');
    await rename(`${this.csv_path}.part`, this.csv_path);
    await writeFile(`${this.json_path}.part`, `${JSON.stringify(report, null, 2)}\n`);
    await rename(`${this.json_path}.part`, this.json_path);
    return report;
  }

  /** Writes with back-pressure: waits when the stream's buffer is full. */
  async #write(text: string): Promise<void> {
    if (!this.#csv.write(text)) await once(this.#csv, 'drain');
  }
}
