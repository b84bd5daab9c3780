import { unixSeconds } from '../../domain/clock.ts';
import type {
  ChannelContext,
  ChannelNotificationRequest,
  ChannelReply,
  NotificationOutcome,
} from '../types.ts';
import type { WechatConfig } from './config.ts';
import { AeadError, aeadDecrypt } from './crypto.ts';
import { parseRfc3339 } from './time.ts';
import { verifyWechatpaySignature } from './verify.ts';
import {
  EVENT_TRANSACTION_SUCCESS,
  NOTIFICATION_ALGORITHM,
  parseJson,
  readNotificationEnvelope,
  readTransaction,
  tradeStatusOf,
} from './wire.ts';

/**
 * Reading a WeChat Pay APIv3 notification (protocols.md §1.3, §1.6), in the only safe order:
 * signature and freshness over the raw body first, then JSON, then decryption (the tag
 * authenticates the resource), then the account's own ids, and only then the payment facts.
 */

type Rejected = Extract<NotificationOutcome, { kind: 'rejected' }>;

function rejected(code: Rejected['code'], detail: string): Rejected {
  return { kind: 'rejected', code, detail };
}

export function parseWechatNotification(
  ctx: ChannelContext,
  config: WechatConfig,
  request: ChannelNotificationRequest,
): NotificationOutcome {
  const check = verifyWechatpaySignature(
    request.headers,
    request.raw_body,
    { id: config.wechatpay_public_key_id, public_key_pem: config.wechatpay_public_key_pem },
    unixSeconds(ctx.clock),
  );
  if (!check.ok) return rejected('NOTIFY_SIGNATURE_INVALID', check.detail);

  const envelope = readNotificationEnvelope(parseJson(request.raw_body));
  if (!envelope) return rejected('NOTIFY_MALFORMED', 'body is not a notification envelope');
  if (envelope.event_type !== EVENT_TRANSACTION_SUCCESS)
    return { kind: 'ignored', event_type: envelope.event_type };
  if (envelope.resource.algorithm !== NOTIFICATION_ALGORITHM) {
    return rejected('NOTIFY_MALFORMED', 'resource.algorithm is not AEAD_AES_256_GCM');
  }

  let plaintext: string;
  try {
    const r = envelope.resource;
    plaintext = aeadDecrypt(r.ciphertext, config.apiv3_key, r.nonce, r.associated_data);
  } catch (error) {
    if (error instanceof AeadError)
      return rejected('NOTIFY_MALFORMED', `resource cannot be decrypted (${error.reason})`);
    throw error;
  }
  const tx = readTransaction(parseJson(plaintext));
  if (!tx) return rejected('NOTIFY_MALFORMED', 'resource plaintext is not a transaction');
  // Right key, wrong merchant: another account's notification sent to this account's URL.
  if (tx.mchid !== config.mchid) return rejected('NOTIFY_MISMATCH', 'mchid is not this account');
  if (tx.appid !== config.appid) return rejected('NOTIFY_MISMATCH', 'appid is not this account');
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

/** 200/204 stops WeChat's retries; a 4xx/5xx with code FAIL asks for the notification again. */
export function wechatNotificationReply(ok: boolean): ChannelReply {
  if (ok) return { status: 204, body: '' };
  return {
    status: 400,
    content_type: 'application/json',
    body: JSON.stringify({ code: 'FAIL', message: '失败' }),
  };
}
