import type { BillRow } from '../types.ts';
import {
  BILL_COLUMNS,
  BILL_LINE_CHARS_MAX,
  BILL_MAGIC,
  BILL_ROWS_MAX,
  BILL_SEPARATOR,
  BILL_TRAILER,
  BILL_VERSION,
  TXN_TYPE_CANCEL,
  TXN_TYPE_CONSUME,
  TXN_TYPE_REFUND,
} from './constants.ts';
import { ourIdOf } from './order-id.ts';
import { parseAcpTime } from './time.ts';
import { readFen } from './wire.ts';

/**
 * Our bill file layout (UnionPay's own is not known to us; docs/channels/unionpay.md): UTF-8
 * text, LF line ends, `|`-separated cells, no quoting (no cell may contain `|` or a line break).
 *
 *   PAYMUX-UNIONPAY-BILL|1|<merId>|<YYYYMMDD>
 *   txnType|orderId|queryId|origOrderId|origQryId|txnAmt|fee|respCode|doneTime
 *   01|pay01JV…|5122…||||888|3|00|20250520100043        one line per successful transaction
 *   TOTAL|<rows>|<sum of txnAmt>
 *
 * The simulator writes it (formatBill); the adapter reads it as a stream (parseBill), and only a
 * bill whose trailer matches what was read is complete: a reader must treat a thrown error as
 * "this day's bill is not usable", whatever rows it already received.
 */
export type BillColumn = (typeof BILL_COLUMNS)[number];
export type BillLine = Record<BillColumn, string>;

const TXN_NAMES: Readonly<Record<string, string>> = {
  [TXN_TYPE_CONSUME]: 'CONSUME',
  [TXN_TYPE_REFUND]: 'REFUND',
  [TXN_TYPE_CANCEL]: 'CANCEL',
};

function cell(value: string): string {
  if (value.includes(BILL_SEPARATOR) || /[\r\n]/.test(value)) throw new Error('bill cell holds a separator');
  return value;
}

export function formatBill(mer_id: string, date8: string, lines: readonly BillLine[]): string {
  const out = [
    [BILL_MAGIC, BILL_VERSION, cell(mer_id), cell(date8)].join(BILL_SEPARATOR),
    BILL_COLUMNS.join(BILL_SEPARATOR),
  ];
  let sum_fen = 0;
  for (const line of lines) {
    out.push(BILL_COLUMNS.map((name) => cell(line[name])).join(BILL_SEPARATOR));
    sum_fen += Number(line.txnAmt);
  }
  out.push([BILL_TRAILER, String(lines.length), String(sum_fen)].join(BILL_SEPARATOR));
  return `${out.join('\n')}\n`;
}

export class BillFormatError extends Error {
  override name = 'BillFormatError';
}

/** Splits a stream of text chunks into lines, refusing any line longer than the cap. */
export async function* linesOf(chunks: AsyncIterable<string>): AsyncGenerator<string> {
  let pending = '';
  for await (const chunk of chunks) {
    pending += chunk;
    let newline = pending.indexOf('\n');
    while (newline >= 0) {
      const line = pending.slice(0, newline);
      pending = pending.slice(newline + 1);
      if (line.length > BILL_LINE_CHARS_MAX) throw new BillFormatError('a bill line is too long');
      yield line.endsWith('\r') ? line.slice(0, -1) : line;
      newline = pending.indexOf('\n');
    }
    if (pending.length > BILL_LINE_CHARS_MAX) throw new BillFormatError('a bill line is too long');
  }
  if (pending !== '') yield pending;
}

function rowOf(line: BillLine, index: number): BillRow {
  const amount_fen = readFen(line.txnAmt);
  const fee_fen = readFen(line.fee);
  const at_ms = parseAcpTime(line.doneTime);
  if (amount_fen === null || fee_fen === null || at_ms === null) {
    throw new BillFormatError(`bill row ${index}: txnAmt, fee or doneTime is malformed`);
  }
  const name = TXN_NAMES[line.txnType];
  if (name === undefined) throw new BillFormatError(`bill row ${index}: unknown txnType`);
  const channel_status = `${name}:${line.respCode}`;
  if (line.txnType === TXN_TYPE_CONSUME) {
    return {
      kind: 'payment',
      out_trade_no: ourIdOf(line.orderId) ?? line.orderId,
      channel_trade_no: line.queryId,
      amount_fen,
      fee_fen,
      channel_status,
      at_ms,
    };
  }
  const refund_id = line.txnType === TXN_TYPE_REFUND ? (ourIdOf(line.orderId) ?? line.orderId) : undefined;
  return {
    kind: 'refund',
    out_trade_no: ourIdOf(line.origOrderId) ?? line.origOrderId,
    channel_trade_no: line.origQryId,
    ...(refund_id !== undefined ? { out_refund_no: refund_id } : {}),
    channel_refund_no: line.queryId,
    amount_fen,
    fee_fen,
    channel_status,
    at_ms,
  };
}

export interface BillExpectation {
  mer_id: string;
  /** YYYYMMDD */
  date8: string;
}

/** The rows of one bill, checked line by line and against its trailer at the end. */
export async function* parseBill(
  lines: AsyncIterable<string>,
  expect: BillExpectation,
): AsyncGenerator<BillRow> {
  let index = -2;
  let rows = 0;
  let sum_fen = 0;
  let trailer_seen = false;
  for await (const text of lines) {
    index++;
    const cells = text.split(BILL_SEPARATOR);
    if (trailer_seen) {
      if (text === '') continue;
      throw new BillFormatError('text after the bill trailer');
    }
    if (index === -1) {
      if (cells[0] !== BILL_MAGIC || cells[1] !== BILL_VERSION)
        throw new BillFormatError('not a bill of ours');
      if (cells[2] !== expect.mer_id) throw new BillFormatError('the bill is of another merId');
      if (cells[3] !== expect.date8) throw new BillFormatError('the bill is of another day');
      continue;
    }
    if (index === 0) {
      if (text !== BILL_COLUMNS.join(BILL_SEPARATOR)) throw new BillFormatError('unexpected bill columns');
      continue;
    }
    if (cells[0] === BILL_TRAILER) {
      if (cells.length !== 3 || cells[1] !== String(rows) || cells[2] !== String(sum_fen)) {
        throw new BillFormatError('the bill trailer does not match its rows');
      }
      trailer_seen = true;
      continue;
    }
    if (cells.length !== BILL_COLUMNS.length)
      throw new BillFormatError(`bill row ${rows + 1}: wrong cell count`);
    if (++rows > BILL_ROWS_MAX) throw new BillFormatError(`more than ${BILL_ROWS_MAX} bill rows`);
    const line = Object.fromEntries(BILL_COLUMNS.map((name, i) => [name, cells[i]!])) as BillLine;
    const row = rowOf(line, rows);
    sum_fen += row.amount_fen;
    yield row;
  }
  if (!trailer_seen) throw new BillFormatError('the bill has no trailer (truncated)');
}
