import type { TxnKind } from '../constants.ts';

/**
 * Transactions held by the simulated UnionPay: consumes (QR, payment code, in-app), refunds and
 * cancels, each under its own orderId. One simplification: an orderId is unique across the whole
 * simulator, not per merchant (Paymux ids are globally unique anyway).
 */
export type SimTxnKind = 'consume' | 'refund' | 'cancel';
export type SimPayWay = 'qr' | 'bar' | 'jsapi';
/** awaiting_payer: QR / in-app order not paid yet; paying: a payment code awaiting the payer. */
export type SimTxnState = 'awaiting_payer' | 'paying' | 'success' | 'failed';

export interface SimTxn {
  /** txnType, txnSubType and bizType as requested; notifications repeat them. */
  codes: TxnKind;
  mer_id: string;
  order_id: string;
  txn_time: string;
  kind: SimTxnKind;
  way?: SimPayWay;
  amount_fen: number;
  back_url?: string;
  state: SimTxnState;
  /** The transaction's own result code, reported as origRespCode by queries. */
  resp_code: string;
  resp_msg: string;
  query_id?: string;
  created_at_ms: number;
  done_at_ms?: number;
  pay_timeout_ms?: number;
  /** Refunds and cancels: the consume's queryId and orderId. */
  orig_query_id?: string;
  orig_order_id?: string;
  req_reserved?: string;
  qr_code?: string;
  tn?: string;
  /** user_paying fault: when and how a payment code resolves. */
  resolve_at_ms?: number;
  resolves_to?: 'success' | 'failure';
  /** Consumes: what was refunded, and whether it was cancelled. */
  refunded_fen: number;
  cancelled: boolean;
}

export const TXNS_MAX = 100_000;

export class TxnBook {
  private readonly txns = new Map<string, SimTxn>();
  private readonly by_query_id = new Map<string, string>();
  /** Payment codes awaiting the payer: scanned on every delivery round, so kept apart. */
  readonly paying = new Set<SimTxn>();

  get(order_id: string): SimTxn | undefined {
    return this.txns.get(order_id);
  }

  byQueryId(query_id: string): SimTxn | undefined {
    const order_id = this.by_query_id.get(query_id);
    return order_id === undefined ? undefined : this.txns.get(order_id);
  }

  hasRoom(): boolean {
    return this.txns.size < TXNS_MAX;
  }

  add(txn: SimTxn): void {
    if (this.txns.has(txn.order_id)) throw new Error('orderId already present');
    if (!this.hasRoom()) throw new Error(`the simulator holds at most ${TXNS_MAX} transactions`);
    this.txns.set(txn.order_id, txn);
    if (txn.state === 'paying') this.paying.add(txn);
    if (txn.query_id !== undefined) this.by_query_id.set(txn.query_id, txn.order_id);
  }

  succeed(txn: SimTxn, query_id: string, at_ms: number): void {
    txn.state = 'success';
    txn.resp_code = '00';
    txn.resp_msg = '成功[0000000]';
    txn.query_id = query_id;
    txn.done_at_ms = at_ms;
    this.paying.delete(txn);
    this.by_query_id.set(query_id, txn.order_id);
  }

  fail(txn: SimTxn, resp_code: string, resp_msg: string, at_ms: number): void {
    txn.state = 'failed';
    txn.resp_code = resp_code;
    txn.resp_msg = resp_msg;
    txn.done_at_ms = at_ms;
    this.paying.delete(txn);
  }

  /** The consume a payer holds: a QR code's content or an in-app tn. */
  byPayerCredential(qr_code_or_tn: string): SimTxn | undefined {
    for (const txn of this.txns.values()) {
      if (txn.kind !== 'consume') continue;
      if (txn.qr_code === qr_code_or_tn || txn.tn === qr_code_or_tn) return txn;
    }
    return undefined;
  }

  /** Successful transactions of a merchant, in insertion order, at most `limit`. */
  successesOf(mer_id: string, limit: number): SimTxn[] {
    const out: SimTxn[] = [];
    for (const txn of this.txns.values()) {
      if (out.length >= limit) break;
      if (txn.mer_id === mer_id && txn.state === 'success') out.push(txn);
    }
    return out;
  }
}
