import type { RefundRecord } from '../storage/repositories/refunds.ts';

/** A refund as merchants see it, in API responses and events alike. */
export interface RefundView {
  id: string;
  object: 'refund';
  payment_id: string;
  merchant_refund_no: string;
  amount: number;
  reason: string | null;
  state: string;
  channel_refund_no: string | null;
  failure_code: string | null;
  failure_message: string | null;
  succeeded_at: string | null;
  created_at: string;
}

export function refundView(r: RefundRecord): RefundView {
  return {
    id: r.id,
    object: 'refund',
    payment_id: r.payment_id,
    merchant_refund_no: r.merchant_refund_no,
    amount: r.amount_fen,
    reason: r.reason,
    state: r.state,
    channel_refund_no: r.channel_refund_no,
    failure_code: r.failure_code,
    failure_message: r.failure_message,
    succeeded_at: r.succeeded_at === null ? null : new Date(r.succeeded_at).toISOString(),
    created_at: new Date(r.created_at).toISOString(),
  };
}
