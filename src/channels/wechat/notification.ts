import type {
  ChannelContext,
  ChannelNotificationRequest,
  ChannelReply,
  NotificationOutcome,
} from '../types.ts';
import type { WechatConfig } from './config.ts';
import { AeadError, aeadDecrypt } from './crypto.ts';
import { verifyFromWechat } from './keyring.ts';
import { foreignIdOf, foreignRefundIdOf } from './merchant-ids.ts';
import { refundObservationOf } from './refund.ts';
import { parseRfc3339 } from './time.ts';
import {
  EVENT_REFUND_PREFIX,
  EVENT_TRANSACTION_SUCCESS,
  NOTIFICATION_ALGORITHM,
  type NotificationEnvelope,
  parseJson,
  readNotificationEnvelope,
  readRefund,
  readTransaction,
  tradeStatusOf,
} from './wire.ts';

/**
 * Reading a WeChat Pay APIv3 notification (protocols.md §1.3, §1.6), in the only safe order:
 * signature and freshness over the raw body first, then JSON, then decryption (the tag
 * authenticates the resource), then the account's own ids (mchid, or sp_mchid and sub_mchid for a
 * service provider), and only then the payment or refund facts.
 */
const REFUND_EVENTS = new Set(['REFUND.SUCCESS', 'REFUND.ABNORMAL', 'REFUND.CLOSED']);

type Rejected = Extract<NotificationOutcome, { kind: 'rejected' }>;

function rejected(code: Rejected['code'], detail: string): Rejected {
  return { kind: 'rejected', code, detail };
}

function decrypt(config: WechatConfig, envelope: NotificationEnvelope): string | Rejected {
  if (envelope.resource.algorithm !== NOTIFICATION_ALGORITHM) {
    return rejected('NOTIFY_MALFORMED', 'resource.algorithm is not AEAD_AES_256_GCM');
  }
  try {
    const r = envelope.resource;
    return aeadDecrypt(r.ciphertext, config.apiv3_key, r.nonce, r.associated_data);
  } catch (error) {
    if (error instanceof AeadError)
      return rejected('NOTIFY_MALFORMED', `resource cannot be decrypted (${error.reason})`);
    throw error;
  }
}

function paymentOutcome(
  config: WechatConfig,
  envelope: NotificationEnvelope,
  plaintext: string,
): NotificationOutcome {
  const tx = readTransaction(parseJson(plaintext));
  if (!tx) return rejected('NOTIFY_MALFORMED', 'resource plaintext is not a transaction');
  // Right key, wrong merchant: another account's notification sent to this account's URL.
  const foreign = foreignIdOf(config, tx);
  if (foreign !== null) return rejected('NOTIFY_MISMATCH', `${foreign} is not this account`);
  const amount_fen = tx.amount?.total;
  if (amount_fen === undefined) return rejected('NOTIFY_MALFORMED', 'transaction has no amount.total');
  const paid_at_ms = tx.success_time === undefined ? null : parseRfc3339(tx.success_time);
  return {
    kind: 'payment',
    out_trade_no: tx.out_trade_no,
    amount_fen,
    notification_id: envelope.id,
    status: tradeStatusOf(tx.trade_state),
    channel_status: tx.trade_state,
    ...(tx.transaction_id !== undefined ? { channel_trade_no: tx.transaction_id } : {}),
    ...(paid_at_ms !== null ? { paid_at_ms } : {}),
  };
}

function refundOutcome(
  config: WechatConfig,
  envelope: NotificationEnvelope,
  plaintext: string,
): NotificationOutcome {
  const refund = readRefund(parseJson(plaintext));
  if (!refund || refund.out_trade_no === undefined)
    return rejected('NOTIFY_MALFORMED', 'resource plaintext is not a refund');
  const foreign = foreignRefundIdOf(config, refund, true);
  if (foreign !== null) return rejected('NOTIFY_MISMATCH', `${foreign} is not this account`);
  // The event names the outcome too; a plaintext that disagrees with it is not to be believed.
  if (envelope.event_type !== `${EVENT_REFUND_PREFIX}${refund.status}`)
    return rejected('NOTIFY_MALFORMED', 'refund_status disagrees with event_type');
  return {
    kind: 'refund',
    out_refund_no: refund.out_refund_no,
    out_trade_no: refund.out_trade_no,
    notification_id: envelope.id,
    ...refundObservationOf(refund),
  };
}

export async function parseWechatNotification(
  ctx: ChannelContext,
  config: WechatConfig,
  request: ChannelNotificationRequest,
): Promise<NotificationOutcome> {
  const check = await verifyFromWechat(ctx, config, request.headers, request.raw_body);
  if (!check.ok) return rejected('NOTIFY_SIGNATURE_INVALID', check.detail);

  const envelope = readNotificationEnvelope(parseJson(request.raw_body));
  if (!envelope) return rejected('NOTIFY_MALFORMED', 'body is not a notification envelope');
  const is_payment = envelope.event_type === EVENT_TRANSACTION_SUCCESS;
  if (!is_payment && !REFUND_EVENTS.has(envelope.event_type))
    return { kind: 'ignored', event_type: envelope.event_type };
  const plaintext = decrypt(config, envelope);
  if (typeof plaintext !== 'string') return plaintext;
  return is_payment
    ? paymentOutcome(config, envelope, plaintext)
    : refundOutcome(config, envelope, plaintext);
}

/** 200/204 stops WeChat's retries; a 4xx/5xx with code FAIL asks for the notification again. */
export function wechatNotificationReply(ok: boolean): ChannelReply {
  if (ok) return { status: 204, body: '' };
  return {
    status: 400,
    content_type: 'application/json',
    body: JSON.stringify({ code: 'FAIL', message: '失败' }),
  };
}
