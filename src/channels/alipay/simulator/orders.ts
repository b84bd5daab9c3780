import type { AlipayTradeStatus } from '../wire.ts';

/**
 * Trades held by the simulated Alipay. Simplifications, on purpose:
 * - out_trade_no is unique across the whole simulator, not per merchant (Paymux's out_trade_no is
 *   its payment id, globally unique anyway);
 * - a precreate (QR) trade exists from the precreate on; the real one appears only once a payer
 *   scans the code, so a real query before the scan answers ACQ.TRADE_NOT_EXIST.
 */
export interface SimRefund {
  out_request_no: string;
  amount_fen: number;
  at_ms: number;
  reason?: string;
}

export type SimProduct = 'precreate' | 'pay' | 'create' | 'wap' | 'page' | 'app';

export interface SimOrder {
  /** The app that called (the ISV's in ISV mode) and the merchant's app the trade belongs to. */
  app_id: string;
  merchant_app_id: string;
  seller_id: string;
  out_trade_no: string;
  trade_no: string;
  product: SimProduct;
  subject: string;
  total_fen: number;
  notify_url?: string;
  return_url?: string;
  expire_at_ms?: number;
  /** The business content as sent: a repeat with other content is another order. */
  fingerprint: string;
  qr_code?: string;
  created_at_ms: number;
  status: AlipayTradeStatus;
  paid_at_ms?: number;
  buyer_id: string;
  buyer_logon_id: string;
  /** ALI_BAR under the user_paying fault: when and how the payer's confirmation ends. */
  resolution?: { at_ms: number; to: 'success' | 'failure' };
  /** What cancel did: close (unpaid) or refund (paid). */
  cancel_action?: 'close' | 'refund';
  refunds: Map<string, SimRefund>;
  refunded_fen: number;
}

export const ORDERS_MAX = 100_000;
/** Alipay caps partial refunds of one trade; so do we. */
export const REFUNDS_PER_ORDER_MAX = 50;

export class OrderBook {
  private readonly orders = new Map<string, SimOrder>();
  private readonly by_trade_no = new Map<string, string>();

  get(out_trade_no: string): SimOrder | undefined {
    return this.orders.get(out_trade_no);
  }

  byTradeNo(trade_no: string): SimOrder | undefined {
    const out_trade_no = this.by_trade_no.get(trade_no);
    return out_trade_no === undefined ? undefined : this.orders.get(out_trade_no);
  }

  hasRoom(): boolean {
    return this.orders.size < ORDERS_MAX;
  }

  add(order: SimOrder): void {
    if (this.orders.has(order.out_trade_no)) throw new Error('out_trade_no already present');
    if (!this.hasRoom()) throw new Error(`the simulator holds at most ${ORDERS_MAX} orders`);
    this.orders.set(order.out_trade_no, order);
    this.by_trade_no.set(order.trade_no, order.out_trade_no);
  }

  /** Every order; for the bill and for resolving due confirmations. */
  all(): IterableIterator<SimOrder> {
    return this.orders.values();
  }
}
