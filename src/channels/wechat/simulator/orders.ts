import type { Transaction } from '../wire.ts';

/**
 * Orders held by the simulated WeChat Pay. One deliberate simplification: out_trade_no is unique
 * across the whole simulator, not per merchant (a second merchant reusing one gets
 * OUT_TRADE_NO_USED). Paymux's out_trade_no is its payment id, globally unique anyway.
 */
export type SimTradeState =
  | 'NOTPAY'
  | 'SUCCESS'
  | 'CLOSED'
  | 'USERPAYING'
  | 'REVOKED'
  | 'PAYERROR'
  | 'REFUND';
export type SimTradeType = 'NATIVE' | 'JSAPI' | 'APP' | 'MWEB' | 'MICROPAY';

/** Ids of the merchant an order belongs to: direct (mchid, appid) or partner (sp + sub). */
export interface SimOrderIds {
  /** Direct mchid, or the service provider's sp_mchid. */
  mchid: string;
  /** Direct appid, or sp_appid. */
  appid: string;
  sub_mchid?: string;
  sub_appid?: string;
}

export interface SimOrder extends SimOrderIds {
  trade_type: SimTradeType;
  out_trade_no: string;
  description: string;
  amount_total: number;
  /** Empty for payment codes: they answer at once and notify nobody. */
  notify_url: string;
  time_expire?: string;
  expire_at_ms?: number;
  attach?: string;
  payer_client_ip?: string;
  /** Canonical JSON of the request: a repeat with the same fingerprint is the same order. */
  fingerprint: string;
  /** NATIVE only; empty otherwise. */
  code_url: string;
  prepay_id?: string;
  h5_url?: string;
  /** JSAPI: the payer as the request named it ({openid} | {sp_openid} | {sub_openid}). */
  payer?: Record<string, string>;
  /** USERPAYING: when and how the payer's confirmation ends (injected clock). */
  user_paying?: { resolve_at_ms: number; resolves_to: 'success' | 'failure' };
  created_at_ms: number;
  trade_state: SimTradeState;
  transaction_id?: string;
  success_time?: string;
  success_at_ms?: number;
  openid?: string;
  /** Sum of refunds not closed or abnormal (processing and succeeded). */
  refunded_fen: number;
}

export const ORDERS_MAX = 100_000;

const TRADE_STATE_DESC: Readonly<Record<SimTradeState, string>> = {
  NOTPAY: '订单未支付',
  SUCCESS: '支付成功',
  CLOSED: '订单已关闭',
  USERPAYING: '需要用户输入支付密码',
  REVOKED: '已撤销',
  PAYERROR: '支付失败',
  REFUND: '转入退款',
};

/** Whether money was taken (and so the order can be refunded, or reversed by refunding). */
export function isPaid(order: SimOrder): boolean {
  return order.trade_state === 'SUCCESS' || order.trade_state === 'REFUND';
}

export class OrderBook {
  private readonly orders = new Map<string, SimOrder>();
  private readonly by_transaction_id = new Map<string, string>();
  /** The wallet finds an order by what the payer holds: a Native code_url or a JSAPI prepay_id. */
  private readonly by_payer_credential = new Map<string, string>();

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
    if (order.code_url !== '') this.by_payer_credential.set(order.code_url, order.out_trade_no);
    if (order.prepay_id !== undefined) this.by_payer_credential.set(order.prepay_id, order.out_trade_no);
  }

  /** The order of a Native code_url or a JSAPI/App/H5 prepay_id. */
  byPayerCredential(code_url_or_prepay_id: string): SimOrder | undefined {
    const out_trade_no = this.by_payer_credential.get(code_url_or_prepay_id);
    return out_trade_no === undefined ? undefined : this.orders.get(out_trade_no);
  }

  /** Every order, oldest first (bills read them). */
  all(): IterableIterator<SimOrder> {
    return this.orders.values();
  }

  markPaid(
    order: SimOrder,
    transaction_id: string,
    success_at_ms: number,
    success_time: string,
    openid: string,
  ): void {
    order.trade_state = 'SUCCESS';
    order.transaction_id = transaction_id;
    order.success_time = success_time;
    order.success_at_ms = success_at_ms;
    order.openid = order.payer?.openid ?? order.payer?.sub_openid ?? order.payer?.sp_openid ?? openid;
    delete order.user_paying;
    this.by_transaction_id.set(transaction_id, order.out_trade_no);
  }
}

function payerOf(order: SimOrder): Record<string, string> {
  if (order.sub_mchid === undefined) return { openid: order.openid! };
  return order.sub_appid !== undefined && order.payer?.sp_openid === undefined
    ? { sub_openid: order.openid! }
    : { sp_openid: order.openid! };
}

/** The order as WeChat reports it: the query reply and the notification plaintext. */
export function transactionOf(order: SimOrder): Transaction {
  const paid = isPaid(order) || (order.trade_state === 'REVOKED' && order.transaction_id !== undefined);
  const ids =
    order.sub_mchid === undefined
      ? { appid: order.appid, mchid: order.mchid }
      : {
          sp_appid: order.appid,
          sp_mchid: order.mchid,
          ...(order.sub_appid !== undefined ? { sub_appid: order.sub_appid } : {}),
          sub_mchid: order.sub_mchid,
        };
  return {
    ...ids,
    out_trade_no: order.out_trade_no,
    ...(paid ? { transaction_id: order.transaction_id } : {}),
    trade_type: order.trade_type,
    trade_state: order.trade_state,
    trade_state_desc: TRADE_STATE_DESC[order.trade_state],
    ...(paid ? { bank_type: 'OTHERS' } : {}),
    ...(order.attach !== undefined ? { attach: order.attach } : {}),
    ...(paid ? { success_time: order.success_time, payer: payerOf(order) } : {}),
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
