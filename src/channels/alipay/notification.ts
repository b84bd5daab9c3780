import type { ChannelNotificationRequest, ChannelReply, NotificationOutcome } from '../types.ts';
import type { AlipayConfig } from './config.ts';
import { type NotifySignRule, verifyNotifySignature } from './crypto.ts';
import { parseBeijingDateTime } from './time.ts';
import { fenOfAmount, tradeStatusOf } from './wire.ts';

/**
 * Reading an Alipay asynchronous notification (protocols.md §3.6), in the only safe order: the
 * form is decoded once, the signature checked over the values exactly as posted, then the
 * account's own ids (app_id, and seller_id when configured), and only then the payment facts.
 * Comparing out_trade_no and amount with our record is the core's job: we return them exactly.
 */

type Rejected = Extract<NotificationOutcome, { kind: 'rejected' }>;

function rejected(code: Rejected['code'], detail: string): Rejected {
  return { kind: 'rejected', code, detail };
}

export const NOTIFY_TYPE_TRADE = 'trade_status_sync';
/** A real notification is 2–3 KB; more fields than this is not one. */
const FORM_FIELDS_MAX = 128;
const FORM_BYTES_MAX = 64 * 1024;

/** The form's fields, decoded once; null when it is not a form or a field repeats. */
export function decodeForm(raw_body: string): Record<string, string> | null {
  if (raw_body.length === 0 || raw_body.length > FORM_BYTES_MAX) return null;
  // Every field of a form is `name=value`; a JSON or XML body is not a form at all.
  if (raw_body.split('&').some((pair) => !pair.includes('='))) return null;
  let params: URLSearchParams;
  try {
    params = new URLSearchParams(raw_body);
  } catch {
    return null;
  }
  const form: Record<string, string> = {};
  let count = 0;
  for (const [key, value] of params) {
    if (++count > FORM_FIELDS_MAX) return null;
    if (key === '' || Object.hasOwn(form, key)) return null;
    form[key] = value;
  }
  return count === 0 ? null : form;
}

/** The trade notification rule for trade_status_sync; the keep-sign_type rule for the rest. */
export function notifyRuleOf(form: Readonly<Record<string, string>>): NotifySignRule {
  return form.notify_type === NOTIFY_TYPE_TRADE ? 'trade' : 'gateway';
}

export function parseAlipayNotification(
  config: AlipayConfig,
  request: ChannelNotificationRequest,
): NotificationOutcome {
  const form = decodeForm(request.raw_body);
  if (!form) return rejected('NOTIFY_MALFORMED', 'body is not a form-encoded notification');
  if (form.sign === undefined || form.sign === '')
    return rejected('NOTIFY_SIGNATURE_INVALID', 'no sign field');
  if (form.sign_type !== undefined && form.sign_type !== 'RSA2')
    return rejected('NOTIFY_SIGNATURE_INVALID', 'sign_type is not RSA2');
  if (!verifyNotifySignature(form, notifyRuleOf(form), config.alipay_public_key))
    return rejected('NOTIFY_SIGNATURE_INVALID', 'sign does not verify with the Alipay public key');

  // Authentic, but for another app or merchant: a notification sent to the wrong account's URL.
  if (form.app_id !== config.app_id) return rejected('NOTIFY_MISMATCH', 'app_id is not this account');
  if (config.seller_id !== undefined && form.seller_id !== config.seller_id)
    return rejected('NOTIFY_MISMATCH', 'seller_id is not this account');

  const notify_type = form.notify_type;
  if (notify_type === undefined || notify_type === '') return rejected('NOTIFY_MALFORMED', 'no notify_type');
  if (notify_type !== NOTIFY_TYPE_TRADE) return { kind: 'ignored', event_type: notify_type };

  const { out_trade_no, trade_status, notify_id, total_amount } = form;
  if (!out_trade_no || !trade_status || !notify_id || total_amount === undefined)
    return rejected('NOTIFY_MALFORMED', 'out_trade_no, trade_status, notify_id or total_amount missing');
  const amount_fen = fenOfAmount(total_amount);
  if (amount_fen === null) return rejected('NOTIFY_MALFORMED', 'total_amount is not an amount');

  if (form.out_biz_no && form.gmt_refund) {
    // A refund's notice (same notify_type): refund_fee there is the trade's refunded total, not
    // this refund's amount, so no amount is reported; queryRefund gives the exact one.
    const succeeded_at_ms = parseBeijingDateTime(form.gmt_refund);
    return {
      kind: 'refund',
      out_refund_no: form.out_biz_no,
      out_trade_no,
      notification_id: notify_id,
      status: 'SUCCESS',
      channel_status: 'REFUND_SUCCESS',
      ...(form.trade_no ? { channel_refund_no: form.trade_no } : {}),
      ...(succeeded_at_ms !== null ? { succeeded_at_ms } : {}),
    };
  }
  const paid_at_ms = form.gmt_payment === undefined ? null : parseBeijingDateTime(form.gmt_payment);
  return {
    kind: 'payment',
    out_trade_no,
    amount_fen,
    notification_id: notify_id,
    status: tradeStatusOf(trade_status),
    channel_status: trade_status,
    ...(form.trade_no ? { channel_trade_no: form.trade_no } : {}),
    ...(paid_at_ms !== null ? { paid_at_ms } : {}),
  };
}

/** Exactly `success` stops Alipay's retries; anything else (we send `fail`) asks for it again. */
export function alipayNotificationReply(ok: boolean): ChannelReply {
  return { status: 200, content_type: 'text/plain; charset=utf-8', body: ok ? 'success' : 'fail' };
}
