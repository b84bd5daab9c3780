import type { BillRow } from '../types.ts';
import { parseBeijingDateTime, toBeijingDateTime } from './time.ts';
import { fenOfAmount } from './wire.ts';

/**
 * THE ONE PLACE that knows the layout of the Alipay trade bill we produce (simulator) and parse
 * (adapter).
 *
 * Real Alipay: alipay.data.dataservice.bill.downloadurl.query gives a short-lived URL to a zip
 * holding GBK-encoded CSV files; the trade bill's "业务明细" file is `#` comment lines (title,
 * account, period), a header row of 25 Chinese column names, one row per payment (业务类型 交易)
 * or refund (业务类型 退款, negative amounts), then `#` trailer lines (totals, export time). Cells
 * are unquoted and often padded with tabs.
 *
 * Our subset, faithful in everything but the packaging: that same "业务明细" file — the same
 * comment lines, the same 25 columns in the same order, the same signs and `yyyy-MM-dd HH:mm:ss`
 * times — served bare (no zip) in UTF-8 (not GBK), `\r\n` line ends. The parser finds columns by
 * name (not position), trims tabs and spaces, skips `#` lines, and decodes GBK when the response
 * says `charset=gbk` (bill.ts); unzipping a real download is NOT implemented.
 */

export const BILL_COLUMNS = [
  '支付宝交易号',
  '商户订单号',
  '业务类型',
  '商品名称',
  '创建时间',
  '完成时间',
  '门店编号',
  '门店名称',
  '操作员',
  '终端号',
  '对方账户',
  '订单金额（元）',
  '商家实收（元）',
  '支付宝红包（元）',
  '集分宝（元）',
  '支付宝优惠（元）',
  '商家优惠（元）',
  '券核销金额（元）',
  '券名称',
  '商家红包消费金额（元）',
  '卡消费金额（元）',
  '退款批次号/请求号',
  '服务费（元）',
  '分润（元）',
  '备注',
] as const;

export const BILL_KIND_PAYMENT = '交易';
export const BILL_KIND_REFUND = '退款';

/** One line of the file as the simulator writes it. Amounts are yuan text, already signed. */
export interface BillEntry {
  trade_no: string;
  out_trade_no: string;
  kind: typeof BILL_KIND_PAYMENT | typeof BILL_KIND_REFUND;
  subject: string;
  created_at_ms: number;
  finished_at_ms: number;
  buyer_account: string;
  /** 订单金额: positive for a payment, negative for a refund. */
  amount_yuan: string;
  /** 退款批次号/请求号: the refund's out_request_no. */
  refund_request_no: string;
  /** 服务费: negative for a payment (the merchant pays it), positive for a refund. */
  fee_yuan: string;
}

/** Cells must not hold the separator or line breaks (real bills do not quote). */
function cell(text: string): string {
  return text.replace(/[,\r\n]/g, ' ');
}

/** The whole "业务明细" file for one account and day. */
export function renderBill(account: string, bill_date: string, entries: readonly BillEntry[]): string {
  const lines = [
    '#支付宝业务明细查询',
    `#账号：[${account}]`,
    `#起始日期：[${bill_date} 00:00:00]   终止日期：[${bill_date} 23:59:59]`,
    '#-----------------------------------------业务明细列表----------------------------------------',
    BILL_COLUMNS.join(','),
  ];
  for (const e of entries) {
    const values: Record<(typeof BILL_COLUMNS)[number], string> = {
      支付宝交易号: e.trade_no,
      商户订单号: e.out_trade_no,
      业务类型: e.kind,
      商品名称: cell(e.subject),
      创建时间: toBeijingDateTime(e.created_at_ms),
      完成时间: toBeijingDateTime(e.finished_at_ms),
      门店编号: '',
      门店名称: '',
      操作员: '',
      终端号: '',
      对方账户: e.buyer_account,
      '订单金额（元）': e.amount_yuan,
      '商家实收（元）': e.amount_yuan,
      '支付宝红包（元）': '0.00',
      '集分宝（元）': '0.00',
      '支付宝优惠（元）': '0.00',
      '商家优惠（元）': '0.00',
      '券核销金额（元）': '0.00',
      券名称: '',
      '商家红包消费金额（元）': '0.00',
      '卡消费金额（元）': '0.00',
      '退款批次号/请求号': e.refund_request_no,
      '服务费（元）': e.fee_yuan,
      '分润（元）': '0.00',
      备注: '',
    };
    // Real bills pad the ids with a tab so spreadsheets keep them as text.
    lines.push(
      BILL_COLUMNS.map((name) => (name.endsWith('号') ? `${values[name]}\t` : values[name])).join(','),
    );
  }
  lines.push(
    '#-----------------------------------------业务明细列表结束------------------------------------',
  );
  lines.push(`#交易合计：${entries.filter((e) => e.kind === BILL_KIND_PAYMENT).length}笔`);
  lines.push(`#退款合计：${entries.filter((e) => e.kind === BILL_KIND_REFUND).length}笔`);
  lines.push(`#导出时间：[${bill_date} 23:59:59]`);
  return `${lines.join('\r\n')}\r\n`;
}

// ---------------------------------------------------------------------------------------------
// Parsing, one line at a time

export class BillFormatError extends Error {
  override name = 'BillFormatError';
}

const REQUIRED_COLUMNS = [
  '支付宝交易号',
  '商户订单号',
  '业务类型',
  '完成时间',
  '订单金额（元）',
  '退款批次号/请求号',
  '服务费（元）',
] as const;
type RequiredColumn = (typeof REQUIRED_COLUMNS)[number];

/** Signed yuan ("-0.01") as absolute fen, exact. */
function absFen(text: string, line_no: number, column: string): number {
  const fen = fenOfAmount(text.startsWith('-') ? text.slice(1) : text);
  if (fen === null) throw new BillFormatError(`line ${line_no}: ${column} is not an amount`);
  return fen;
}

/** Turns the file's lines into BillRows; keeps only the header's column positions between lines. */
export class BillParser {
  private columns: Record<RequiredColumn, number> | null = null;
  private line_no = 0;

  /** The row a line holds, or null for comment, blank and header lines. Throws on a broken row. */
  push(line: string): BillRow | null {
    this.line_no++;
    const text = this.line_no === 1 ? line.replace(/^\uFEFF/, '') : line;
    if (text.trim() === '' || text.startsWith('#')) return null;
    const cells = text.split(',').map((c) => c.trim());
    if (this.columns === null) {
      const found: Partial<Record<RequiredColumn, number>> = {};
      for (const name of REQUIRED_COLUMNS) {
        const at = cells.indexOf(name);
        if (at < 0) throw new BillFormatError(`line ${this.line_no}: header has no ${name} column`);
        found[name] = at;
      }
      this.columns = found as Record<RequiredColumn, number>;
      return null;
    }
    const get = (name: RequiredColumn) => cells[this.columns![name]] ?? '';
    const kind_word = get('业务类型');
    if (kind_word !== BILL_KIND_PAYMENT && kind_word !== BILL_KIND_REFUND)
      throw new BillFormatError(`line ${this.line_no}: unknown 业务类型`);
    const at_ms = parseBeijingDateTime(get('完成时间'));
    if (at_ms === null) throw new BillFormatError(`line ${this.line_no}: 完成时间 is not a time`);
    const out_trade_no = get('商户订单号');
    const channel_trade_no = get('支付宝交易号');
    if (out_trade_no === '' || channel_trade_no === '')
      throw new BillFormatError(`line ${this.line_no}: order numbers missing`);
    const fee = get('服务费（元）');
    const row: BillRow = {
      kind: kind_word === BILL_KIND_PAYMENT ? 'payment' : 'refund',
      out_trade_no,
      channel_trade_no,
      amount_fen: absFen(get('订单金额（元）'), this.line_no, '订单金额'),
      channel_status: kind_word,
      at_ms,
      ...(fee !== '' ? { fee_fen: absFen(fee, this.line_no, '服务费') } : {}),
    };
    if (row.kind === 'refund') {
      const request_no = get('退款批次号/请求号');
      if (request_no === '')
        throw new BillFormatError(`line ${this.line_no}: refund without 退款批次号/请求号`);
      row.out_refund_no = request_no;
    }
    return row;
  }

  /** Throws when the file ended before its header: a truncated or foreign file, not an empty day. */
  finish(): void {
    if (this.columns === null) throw new BillFormatError('the bill has no header row');
  }
}
