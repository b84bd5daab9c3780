import type { Clock } from '../../../domain/clock.ts';
import type { Random } from '../../../domain/random.ts';
import type { FaultRule } from '../../simulator-kit/faults.ts';
import { BILL_KIND_PAYMENT, BILL_KIND_REFUND, type BillEntry, renderBill } from '../bill-format.ts';
import { toBeijingDate } from '../time.ts';
import { amountOfFen } from '../wire.ts';
import type { SimOrder } from './orders.ts';

/**
 * The simulated bill files: built when the download URL is asked for (so faults apply then),
 * kept under a random token for a short while, as Alipay's URLs are short-lived (§3.5), and
 * served at /downloadBillFile.resource?token=… . The layout is bill-format.ts's.
 */

/** Alipay's URL is valid for 30 seconds. */
export const BILL_URL_TTL_MS = 30_000;
const BILLS_MAX = 64;
/** Our made-up service fee: 0.6 %, the usual face-to-face rate, rounded to the fen. */
const FEE_PER_MILLE = 6;

function feeFen(amount_fen: number): number {
  return Math.round((amount_fen * FEE_PER_MILLE) / 1000);
}

function signed(fen: number, negative: boolean): string {
  if (fen === 0) return '0.00';
  return `${negative ? '-' : ''}${amountOfFen(fen)}`;
}

/** The entries of one merchant's day, with bill_mismatch faults applied. */
export function billEntries(
  orders: Iterable<SimOrder>,
  merchant_app_id: string,
  bill_date: string,
  mismatch_for: (out_trade_no: string) => FaultRule | undefined,
  channel_wide: readonly FaultRule[],
): BillEntry[] {
  const entries: BillEntry[] = [];
  for (const order of orders) {
    if (order.merchant_app_id !== merchant_app_id) continue;
    const fault = mismatch_for(order.out_trade_no);
    const base = {
      trade_no: order.trade_no,
      out_trade_no: order.out_trade_no,
      subject: order.subject,
      created_at_ms: order.created_at_ms,
      buyer_account: order.buyer_logon_id,
    };
    if (
      order.paid_at_ms !== undefined &&
      toBeijingDate(order.paid_at_ms) === bill_date &&
      fault?.bill_field !== 'missing'
    ) {
      const amount_fen = fault?.bill_field === 'amount' ? order.total_fen + 1 : order.total_fen;
      entries.push({
        ...base,
        // 'status' turns the payment row into a refund row: the kind disagrees with our record.
        kind: fault?.bill_field === 'status' ? BILL_KIND_REFUND : BILL_KIND_PAYMENT,
        finished_at_ms: order.paid_at_ms,
        amount_yuan: signed(amount_fen, fault?.bill_field === 'status'),
        refund_request_no: fault?.bill_field === 'status' ? order.out_trade_no : '',
        fee_yuan: signed(feeFen(order.total_fen), true),
      });
    }
    for (const refund of order.refunds.values()) {
      if (toBeijingDate(refund.at_ms) !== bill_date) continue;
      entries.push({
        ...base,
        kind: BILL_KIND_REFUND,
        finished_at_ms: refund.at_ms,
        amount_yuan: signed(refund.amount_fen, true),
        refund_request_no: refund.out_request_no,
        fee_yuan: signed(feeFen(refund.amount_fen), false),
      });
    }
  }
  if (channel_wide.some((rule) => rule.bill_field === 'extra')) {
    const at_ms = Date.parse(`${bill_date}T12:00:00+08:00`);
    entries.push({
      trade_no: `${bill_date.replaceAll('-', '')}22001999999999999999`,
      out_trade_no: 'sim_extra_row',
      kind: BILL_KIND_PAYMENT,
      subject: 'not ours',
      created_at_ms: at_ms,
      finished_at_ms: at_ms,
      buyer_account: 'sim***@example.com',
      amount_yuan: '1.00',
      refund_request_no: '',
      fee_yuan: '-0.01',
    });
  }
  return entries;
}

export class BillStore {
  private readonly files = new Map<string, { content: string; expires_at_ms: number }>();

  constructor(
    private readonly clock: Clock,
    private readonly random: Random,
  ) {}

  /** Keeps a rendered bill and returns its token. */
  put(account: string, bill_date: string, entries: readonly BillEntry[]): string {
    if (this.files.size >= BILLS_MAX) {
      const oldest = this.files.keys().next().value;
      if (oldest !== undefined) this.files.delete(oldest);
    }
    const token = this.random.bytes(16).toString('hex');
    this.files.set(token, {
      content: renderBill(account, bill_date, entries),
      expires_at_ms: this.clock.now_ms() + BILL_URL_TTL_MS,
    });
    return token;
  }

  get(token: string): string | undefined {
    const file = this.files.get(token);
    if (!file) return undefined;
    if (this.clock.now_ms() > file.expires_at_ms) {
      this.files.delete(token);
      return undefined;
    }
    return file.content;
  }
}
