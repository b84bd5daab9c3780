import type { BillRow } from '../types.ts';
import { parseBeijingDateTime } from './time.ts';

/**
 * The trade bill file (protocols.md §1.7, vector W7), read line by line: UTF-8 with a BOM, a header
 * row of column names, data rows whose every cell starts with a backtick (so split on ",`"), then
 * a summary header (总交易单数,…) and one summary row. Amounts are yuan strings; we turn them into
 * integer fen without floating point. The summary's order count must equal the rows read: a
 * truncated or padded file is refused rather than half-reconciled.
 */
export class BillFormatError extends Error {
  override name = 'BillFormatError';
}

/** A bill holds at most one row per trade and refund of a day; far more is a broken file. */
export const BILL_ROWS_MAX = 5_000_000;
export const BILL_LINE_CHARS_MAX = 8_192;

const COLUMN = {
  time: '交易时间',
  transaction_id: '微信订单号',
  out_trade_no: '商户订单号',
  trade_state: '交易状态',
  settlement: '应结订单金额',
  refund_id: '微信退款单号',
  out_refund_no: '商户退款单号',
  refunded: '退款金额',
  refund_status: '退款状态',
  fee: '手续费',
  total: '订单金额',
  refund_requested: '申请退款金额',
} as const;
const REQUIRED = ['time', 'transaction_id', 'out_trade_no', 'trade_state', 'settlement', 'fee'] as const;
const SUMMARY_COUNT = '总交易单数';

/** Integer fen of a yuan amount like `12.34` or `0.01000` (fees carry five decimals; rounded half up). */
export function yuanToFen(text: string): number | null {
  const m = /^(-?)(\d{1,12})(?:\.(\d{1,6}))?$/.exec(text);
  if (!m) return null;
  const decimals = (m[3] ?? '').padEnd(6, '0');
  const micro_fen = Number(m[2]) * 100_0000 + Number(decimals);
  const fen = Math.floor((micro_fen + 5_000) / 10_000);
  return m[1] === '-' ? -fen : fen;
}

function cells(line: string): string[] {
  // Every data cell is "`value"; the first backtick opens the line, the rest follow commas.
  return line.slice(1).split(',`');
}

type State =
  | { phase: 'header' }
  | { phase: 'rows'; index: Map<string, number> }
  | { phase: 'summary_row'; seen: number }
  | { phase: 'done' };

export class TradeBillParser {
  #state: State = { phase: 'header' };
  #rows = 0;
  #summary_header: string[] = [];

  /** Feeds one line (without its line break); returns the rows it holds (zero, one). */
  line(raw: string): BillRow[] {
    if (raw.length > BILL_LINE_CHARS_MAX) throw new BillFormatError('a bill line is too long');
    const line = this.#state.phase === 'header' ? raw.replace(/^\uFEFF/, '') : raw;
    if (line === '') return [];
    switch (this.#state.phase) {
      case 'header': {
        const names = line.split(',');
        const index = new Map(names.map((name, i) => [name.trim(), i]));
        for (const key of REQUIRED) {
          if (!index.has(COLUMN[key])) throw new BillFormatError(`bill header lacks ${COLUMN[key]}`);
        }
        this.#state = { phase: 'rows', index };
        return [];
      }
      case 'rows': {
        if (!line.startsWith('`')) {
          if (!line.startsWith(SUMMARY_COUNT))
            throw new BillFormatError('a bill row does not start with a backtick');
          this.#summary_header = line.split(',');
          this.#state = { phase: 'summary_row', seen: this.#rows };
          return [];
        }
        if (++this.#rows > BILL_ROWS_MAX) throw new BillFormatError(`more than ${BILL_ROWS_MAX} bill rows`);
        return [rowOf(cells(line), this.#state.index, this.#rows)];
      }
      case 'summary_row': {
        if (!line.startsWith('`'))
          throw new BillFormatError('the summary row does not start with a backtick');
        const values = cells(line);
        const at = this.#summary_header.indexOf(SUMMARY_COUNT);
        const count = Number(values[at]);
        if (!Number.isFinite(count) || count !== this.#state.seen)
          throw new BillFormatError(
            `the summary counts ${values[at]} trades, the file holds ${this.#state.seen}`,
          );
        this.#state = { phase: 'done' };
        return [];
      }
      case 'done':
        throw new BillFormatError('content after the summary row');
    }
  }

  /** Called at the end of the file: a bill without its summary is incomplete. */
  end(): void {
    if (this.#state.phase !== 'done') throw new BillFormatError('the bill ends before its summary row');
  }
}

function rowOf(values: string[], index: Map<string, number>, number: number): BillRow {
  const get = (name: string): string => {
    const at = index.get(name);
    return at === undefined ? '' : (values[at] ?? '');
  };
  const fen = (name: string): number => {
    const value = yuanToFen(get(name));
    if (value === null) throw new BillFormatError(`row ${number}: ${name} is not an amount`);
    return value;
  };
  const at_ms = parseBeijingDateTime(get(COLUMN.time));
  if (at_ms === null) throw new BillFormatError(`row ${number}: ${COLUMN.time} is not a date-time`);
  const trade_state = get(COLUMN.trade_state);
  const common = {
    out_trade_no: get(COLUMN.out_trade_no),
    channel_trade_no: get(COLUMN.transaction_id),
    fee_fen: fen(COLUMN.fee),
    at_ms,
  };
  if (common.out_trade_no === '' || common.channel_trade_no === '')
    throw new BillFormatError(`row ${number}: order numbers are missing`);
  if (trade_state === 'REFUND') {
    // 申请退款金额 is what was refunded of the order; older bills have only 退款金额.
    const amount_name = index.has(COLUMN.refund_requested) ? COLUMN.refund_requested : COLUMN.refunded;
    return {
      kind: 'refund',
      ...common,
      out_refund_no: get(COLUMN.out_refund_no),
      channel_refund_no: get(COLUMN.refund_id),
      amount_fen: fen(amount_name),
      channel_status: get(COLUMN.refund_status),
    };
  }
  // 订单金额 is the whole order (coupons included); 应结订单金额 is what older bills have.
  const amount_name = index.has(COLUMN.total) ? COLUMN.total : COLUMN.settlement;
  return { kind: 'payment', ...common, amount_fen: fen(amount_name), channel_status: trade_state };
}
