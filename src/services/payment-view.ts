import type { PaymentRecord } from '../storage/repositories/payments.ts';

/**
 * The payment as merchants see it: in API responses and in notification events alike, so a
 * merchant parses one shape. Times are ISO 8601 UTC; amounts are fen.
 */
export interface PaymentView {
  id: string;
  object: 'payment';
  app_id: string;
  merchant_order_no: string;
  pay_way: string;
  channel: string;
  amount: number;
  currency: string;
  subject: string;
  state: string;
  code_url: string | null;
  credential: Record<string, unknown> | null;
  qr_image_url: string | null;
  channel_trade_no: string | null;
  failure_code: string | null;
  failure_message: string | null;
  metadata: Record<string, string> | null;
  expires_at: string;
  paid_at: string | null;
  created_at: string;
}

export function paymentView(p: PaymentRecord, public_url: string): PaymentView {
  return {
    id: p.id,
    object: 'payment',
    app_id: p.app_id,
    merchant_order_no: p.merchant_order_no,
    pay_way: p.pay_way,
    channel: p.channel,
    amount: p.amount_fen,
    currency: p.currency,
    subject: p.subject,
    state: p.state,
    code_url: p.code_url,
    credential: p.credential_json ? (JSON.parse(p.credential_json) as Record<string, unknown>) : null,
    qr_image_url: p.code_url ? `${public_url}/qr/${p.id}.png` : null,
    channel_trade_no: p.channel_trade_no,
    failure_code: p.failure_code,
    failure_message: p.failure_message,
    metadata: p.metadata_json ? (JSON.parse(p.metadata_json) as Record<string, string>) : null,
    expires_at: iso(p.expires_at),
    paid_at: p.paid_at === null ? null : iso(p.paid_at),
    created_at: iso(p.created_at),
  };
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}
