import type { Transaction } from '../wire.ts';

/**
 * Orders held by the simulated WeChat Pay. One deliberate simplification: out_trade_no is unique
 * across the whole simulator, not per merchant (a second merchant reusing one gets
 * OUT_TRADE_NO_USED). Paymux's out_trade_no is its payment id, globally unique anyway.
 */
export type SimTradeState = 'NOTPAY' | 'SUCCESS' | 'CLOSED';

export interface SimOrder {
  mchid: string;
  appid: string;
  out_trade_no: string;
  description: string;
  amount_total: number;
  notify_url: string;
  time_expire?: string;
  expire_at_ms?: number;
  attach?: string;
  payer_client_ip?: string;
  /** Canonical JSON of the prepay request: a repeat with the same fingerprint is the same order. */
  fingerprint: string;
  code_url: string;
  created_at_ms: number;
  trade_state: SimTradeState;
  transaction_id?: string;
  success_time?: string;
  openid?: string;
}

export const ORDERS_MAX = 100_000;

const TRADE_STATE_DESC: Readonly<Record<SimTradeState, string>> = {
  NOTPAY: '订单未支付',
  SUCCESS: '支付成功',
  CLOSED: '订单已关闭',
};

export class OrderBook {
  private readonly orders = new Map<string, SimOrder>();
  private readonly by_transaction_id = new Map<string, string>();

  get(out_trade_no: string): SimOrder | undefined {
    return this.orders.get(out_trade_no);
  }

  byTransactionId(transaction_id: string): SimOrder | undefined {
    const out_trade_no = this.by_transaction_id.get(transaction_id);
    return out_trade_no === undefined ? undefined : this.orders.get(out_trade_no);
  }

  hasRoom(): boolean {
    return this.orders.size < ORDERS_MAX;
  }

  add(order: SimOrder): void {
    if (this.orders.has(order.out_trade_no)) throw new Error('out_trade_no already present');
    if (!this.hasRoom()) throw new Error(`the simulator holds at most ${ORDERS_MAX} orders`);
    this.orders.set(order.out_trade_no, order);
  }

  markPaid(order: SimOrder, transaction_id: string, success_time: string, openid: string): void {
    order.trade_state = 'SUCCESS';
    order.transaction_id = transaction_id;
    order.success_time = success_time;
    order.openid = openid;
    this.by_transaction_id.set(transaction_id, order.out_trade_no);
  }
}

/** The order as WeChat reports it: the query reply and the notification plaintext. */
export function transactionOf(order: SimOrder): Transaction {
  const paid = order.trade_state === 'SUCCESS';
  return {
    appid: order.appid,
    mchid: order.mchid,
    out_trade_no: order.out_trade_no,
    ...(paid ? { transaction_id: order.transaction_id } : {}),
    trade_type: 'NATIVE',
    trade_state: order.trade_state,
    trade_state_desc: TRADE_STATE_DESC[order.trade_state],
    ...(paid ? { bank_type: 'OTHERS' } : {}),
    ...(order.attach !== undefined ? { attach: order.attach } : {}),
    ...(paid ? { success_time: order.success_time, payer: { openid: order.openid } } : {}),
    amount: paid
      ? { total: order.amount_total, payer_total: order.amount_total, currency: 'CNY', payer_currency: 'CNY' }
      : { total: order.amount_total, currency: 'CNY' },
  };
}

/** Nesting beyond this is refused rather than recursed into (the body limit alone allows ~32k levels). */
const CANONICAL_DEPTH_MAX = 32;

/** JSON with object keys sorted at every level, so equal requests compare equal; null when nested too deeply. */
export function canonicalJson(value: unknown, depth = 0): string | null {
  if (depth > CANONICAL_DEPTH_MAX) return null;
  if (Array.isArray(value)) {
    const items = value.map((item) => canonicalJson(item, depth + 1));
    return items.includes(null) ? null : `[${items.join(',')}]`;
  }
  if (typeof value === 'object' && value !== null) {
    const record = value as Record<string, unknown>;
    const parts: string[] = [];
    for (const key of Object.keys(record).sort()) {
      if (record[key] === undefined) continue;
      const inner = canonicalJson(record[key], depth + 1);
      if (inner === null) return null;
      parts.push(`${JSON.stringify(key)}:${inner}`);
    }
    return `{${parts.join(',')}}`;
  }
  return JSON.stringify(value);
}
