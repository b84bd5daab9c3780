import { deflateSync } from 'node:zlib';
import type { FaultPlan, FaultRule } from '../../simulator-kit/faults.ts';
import { type BillLine, formatBill } from '../bill-format.ts';
import { BILL_FILE_TYPE, TXN_FILE_DOWNLOAD } from '../constants.ts';
import type { AcpFields } from '../form.ts';
import { toAcpDate, toAcpTime } from '../time.ts';
import type { SimCore } from './core.ts';
import type { SimMerchant } from './merchants.ts';
import type { SimTxn } from './orders.ts';
import { reply } from './respond.ts';

/**
 * The bill download (POST fileTransReq.do, 76/01): every successful transaction of the merchant
 * completed on the requested settleDate (Beijing calendar day; the real cut-off is not known to
 * us), in our bill layout, deflated and base64-encoded in fileContent.
 *
 * bill_mismatch faults (operation "bill") make a row disagree: `amount` (+1 fen), `status`
 * (respCode 01), `missing` (row left out), `extra` (a row for an order UnionPay never had). A
 * rule with an order applies to that order's rows; a channel-wide rule to every row.
 */
const BILL_ROWS_MAX = 100_000;
/** Transactions of a day are looked for in the past year: settleDate has no year. */
const DAYS_BACK_MAX = 366;
const DAY_MS = 86_400_000;
/** Fee the simulator charges on consumes: 0.38 % (a common QR rate), rounded to the fen. */
const FEE_PER_10000 = 38;

function lineOf(txn: SimTxn): BillLine {
  return {
    txnType: txn.codes.txnType,
    orderId: txn.order_id,
    queryId: txn.query_id ?? '',
    origOrderId: txn.orig_order_id ?? '',
    origQryId: txn.orig_query_id ?? '',
    txnAmt: String(txn.amount_fen),
    fee: String(txn.kind === 'consume' ? Math.round((txn.amount_fen * FEE_PER_10000) / 10_000) : 0),
    respCode: txn.resp_code,
    doneTime: toAcpTime(txn.done_at_ms ?? 0),
  };
}

/** The most recent YYYYMMDD, not after today, whose month and day are `mmdd`. */
function dateOf(mmdd: string, now_ms: number): string | null {
  for (let back = 0; back < DAYS_BACK_MAX; back++) {
    const date8 = toAcpDate(now_ms - back * DAY_MS);
    if (date8.slice(4) === mmdd) return date8;
  }
  return null;
}

function mismatched(line: BillLine, rule: FaultRule, extra_order_id: string): BillLine[] {
  if (rule.bill_field === 'missing') return [];
  if (rule.bill_field === 'status') return [{ ...line, respCode: '01' }];
  if (rule.bill_field === 'extra')
    return [line, { ...line, orderId: extra_order_id, queryId: `9${line.queryId.slice(1)}` }];
  return [{ ...line, txnAmt: String(Number(line.txnAmt) + 1) }];
}

function rowFaults(faults: FaultPlan, order_id: string, channel_wide: FaultRule[]): FaultRule[] {
  const targeted = faults
    .list()
    .some(
      (r) =>
        r.kind === 'bill_mismatch' && r.order === order_id && (r.operation === 'bill' || r.operation === '*'),
    );
  // take() also consumes channel-wide rules; only call it when an order rule is waiting.
  const own = targeted ? faults.take('bill', order_id).filter((r) => r.order === order_id) : [];
  return [...own, ...channel_wide].filter((r) => r.kind === 'bill_mismatch');
}

export function handleFileTrans(
  core: SimCore,
  merchant: SimMerchant,
  fields: Readonly<AcpFields>,
  rules: FaultRule[],
): AcpFields {
  const same =
    fields.txnType === TXN_FILE_DOWNLOAD.txnType && fields.txnSubType === TXN_FILE_DOWNLOAD.txnSubType;
  if (!same) return reply(fields, '32');
  const mmdd = fields.settleDate ?? '';
  if (!/^\d{4}$/.test(mmdd) || fields.fileType !== BILL_FILE_TYPE) return reply(fields, '10');
  const date8 = dateOf(mmdd, core.clock.now_ms());
  if (date8 === null) return reply(fields, '10');
  const lines: BillLine[] = [];
  const channel_wide = rules.filter((r) => r.order === undefined);
  for (const txn of core.txns.successesOf(merchant.mer_id, BILL_ROWS_MAX)) {
    if (txn.done_at_ms === undefined || toAcpDate(txn.done_at_ms) !== date8) continue;
    let rows = [lineOf(txn)];
    for (const rule of rowFaults(core.faults, txn.order_id, channel_wide)) {
      rows = rows.flatMap((row) => mismatched(row, rule, `simextra${core.digits(12)}`));
    }
    lines.push(...rows);
  }
  const text = formatBill(merchant.mer_id, date8, lines);
  return reply(fields, '00', {
    settleDate: mmdd,
    fileType: BILL_FILE_TYPE,
    fileName: `PAYMUX_UP_${merchant.mer_id}_${date8}.bill.z`,
    fileContent: deflateSync(Buffer.from(text, 'utf8')).toString('base64'),
  });
}
