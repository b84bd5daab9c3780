import type {
  ChannelContext,
  ChannelNotificationRequest,
  ChannelReply,
  NotificationOutcome,
} from '../types.ts';
import type { UnionpayConfig } from './config.ts';
import {
  NOTIFY_ACK_BODY,
  NOTIFY_ACK_STATUS,
  NOTIFY_NACK_BODY,
  NOTIFY_NACK_STATUS,
  ORDER_REF_FIELD,
  TXN_TYPE_CANCEL,
  TXN_TYPE_CONSUME,
  TXN_TYPE_REFUND,
} from './constants.ts';
import { decodeForm } from './form.ts';
import { ourIdOf } from './order-id.ts';
import { verifyUnionpayMessage } from './verify.ts';
import { readFen, refundStatusOfCode, tradeStatusOfCode } from './wire.ts';

/**
 * Reading a back notification (POSTed form to backUrl) in the only safe order: decode the form,
 * verify the signature and its certificate chain, check it is this account's merId, and only then
 * read the transaction. Consume (01) notifications are payments, refund (04) notifications are
 * refunds, cancel (31) notifications report the payment REVERSED; anything else is acknowledged
 * and ignored.
 */
type Rejected = Extract<NotificationOutcome, { kind: 'rejected' }>;

function rejected(code: Rejected['code'], detail: string): Rejected {
  return { kind: 'rejected', code, detail };
}

const REQUIRED = ['txnType', 'orderId', 'queryId', 'txnAmt', 'respCode'] as const;

export function parseUnionpayNotification(
  ctx: ChannelContext,
  config: UnionpayConfig,
  request: ChannelNotificationRequest,
): NotificationOutcome {
  const fields = decodeForm(request.raw_body);
  if (!fields) return rejected('NOTIFY_MALFORMED', 'body is not a form');
  const check = verifyUnionpayMessage(fields, config.anchors, ctx.clock.now_ms());
  if (!check.ok) return rejected('NOTIFY_SIGNATURE_INVALID', `${check.reason}: ${check.detail}`);
  // Right signer, wrong merchant: another account's notification sent to this account's URL.
  if (fields.merId !== config.mer_id) return rejected('NOTIFY_MISMATCH', 'merId is not this account');
  for (const name of REQUIRED) {
    if (!fields[name]) return rejected('NOTIFY_MALFORMED', `${name} is missing`);
  }
  const amount_fen = readFen(fields.txnAmt);
  if (amount_fen === null) return rejected('NOTIFY_MALFORMED', 'txnAmt is not a whole number of fen');
  const { txnType, orderId, queryId, respCode } = fields as Record<(typeof REQUIRED)[number], string>;
  const notification_id = `${txnType}:${queryId}`;

  if (txnType === TXN_TYPE_CONSUME) {
    const out_trade_no = ourIdOf(orderId);
    if (out_trade_no === null) return rejected('NOTIFY_MALFORMED', 'orderId is not one of ours');
    return {
      kind: 'payment',
      out_trade_no,
      amount_fen,
      notification_id,
      status: tradeStatusOfCode(respCode),
      channel_status: respCode,
      channel_trade_no: queryId,
    };
  }
  // Refunds and cancels name the payment through the reqReserved we sent (constants.ts).
  const payment_order_id = fields[ORDER_REF_FIELD];
  const out_trade_no = payment_order_id === undefined ? null : ourIdOf(payment_order_id);
  if (txnType === TXN_TYPE_REFUND) {
    const out_refund_no = ourIdOf(orderId);
    if (out_refund_no === null || out_trade_no === null)
      return rejected('NOTIFY_MALFORMED', 'orderId or reqReserved is not one of ours');
    return {
      kind: 'refund',
      out_refund_no,
      out_trade_no,
      notification_id,
      status: refundStatusOfCode(respCode),
      channel_status: respCode,
      channel_refund_no: queryId,
      amount_fen,
    };
  }
  if (txnType === TXN_TYPE_CANCEL) {
    if (out_trade_no === null) return rejected('NOTIFY_MALFORMED', 'reqReserved is not one of ours');
    const status = tradeStatusOfCode(respCode);
    return {
      kind: 'payment',
      out_trade_no,
      amount_fen,
      notification_id,
      // A successful cancel ends the payment REVERSED; a failed one says nothing about it.
      status: status === 'PAID' ? 'REVERSED' : 'UNKNOWN',
      channel_status: `cancel:${respCode}`,
    };
  }
  return { kind: 'ignored', event_type: `txnType=${txnType}` };
}

/** HTTP 200 stops UnionPay's retries; anything else asks for the notification again. */
export function unionpayNotificationReply(ok: boolean): ChannelReply {
  return ok
    ? { status: NOTIFY_ACK_STATUS, content_type: 'text/plain', body: NOTIFY_ACK_BODY }
    : { status: NOTIFY_NACK_STATUS, content_type: 'text/plain', body: NOTIFY_NACK_BODY };
}
