/**
 * Refunds held by the simulated WeChat Pay. A refund starts PROCESSING and settles on the injected
 * clock (`settle_at_ms`) as SUCCESS — or as ABNORMAL / CLOSED when the control API says so — which
 * queues its REFUND.* notification when the request named a notify_url.
 */
export type SimRefundStatus = 'PROCESSING' | 'SUCCESS' | 'CLOSED' | 'ABNORMAL';

export interface SimRefund {
  refund_id: string;
  out_refund_no: string;
  out_trade_no: string;
  transaction_id: string;
  mchid: string;
  sub_mchid?: string;
  amount_refund: number;
  amount_total: number;
  status: SimRefundStatus;
  create_time: string;
  created_at_ms: number;
  settle_at_ms: number;
  success_time?: string;
  success_at_ms?: number;
  notify_url?: string;
  reason?: string;
  /** Canonical JSON of the request: the same out_refund_no with the same request is the same refund. */
  fingerprint: string;
}

export const REFUNDS_MAX = 100_000;

export class RefundBook {
  private readonly refunds = new Map<string, SimRefund>();

  get(out_refund_no: string): SimRefund | undefined {
    return this.refunds.get(out_refund_no);
  }

  hasRoom(): boolean {
    return this.refunds.size < REFUNDS_MAX;
  }

  add(refund: SimRefund): void {
    if (!this.hasRoom()) throw new Error(`the simulator holds at most ${REFUNDS_MAX} refunds`);
    this.refunds.set(refund.out_refund_no, refund);
  }

  all(): IterableIterator<SimRefund> {
    return this.refunds.values();
  }
}

/** The refund as the API answers it. */
export function refundReplyOf(refund: SimRefund): Record<string, unknown> {
  return {
    refund_id: refund.refund_id,
    out_refund_no: refund.out_refund_no,
    transaction_id: refund.transaction_id,
    out_trade_no: refund.out_trade_no,
    channel: 'ORIGINAL',
    user_received_account: '支付用户零钱',
    ...(refund.success_time !== undefined ? { success_time: refund.success_time } : {}),
    create_time: refund.create_time,
    status: refund.status,
    funds_account: 'AVAILABLE',
    amount: {
      total: refund.amount_total,
      refund: refund.amount_refund,
      payer_total: refund.amount_total,
      payer_refund: refund.amount_refund,
      settlement_refund: refund.amount_refund,
      settlement_total: refund.amount_total,
      discount_refund: 0,
      currency: 'CNY',
    },
  };
}

/** The plaintext of a REFUND.* notification. */
export function refundNoticeOf(refund: SimRefund): Record<string, unknown> {
  const ids =
    refund.sub_mchid === undefined
      ? { mchid: refund.mchid }
      : { sp_mchid: refund.mchid, sub_mchid: refund.sub_mchid };
  return {
    ...ids,
    out_trade_no: refund.out_trade_no,
    transaction_id: refund.transaction_id,
    out_refund_no: refund.out_refund_no,
    refund_id: refund.refund_id,
    refund_status: refund.status,
    ...(refund.success_time !== undefined ? { success_time: refund.success_time } : {}),
    user_received_account: '支付用户零钱',
    amount: {
      total: refund.amount_total,
      refund: refund.amount_refund,
      payer_total: refund.amount_total,
      payer_refund: refund.amount_refund,
    },
  };
}
