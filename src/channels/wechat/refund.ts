import type { ChannelContext, RefundForChannel, RefundObservation, RefundOutcome } from '../types.ts';
import type { WechatConfig } from './config.ts';
import { foreignRefundIdOf, subMchidQuery } from './merchant-ids.ts';
import { errorOf, isRefusalStatus, unknownFromAnswer } from './outcomes.ts';
import { parseRfc3339 } from './time.ts';
import { callWechat } from './transport.ts';
import { type Refund, readRefund, refundStatusOf } from './wire.ts';

/**
 * Refunds (protocols.md §1.7): POST /v3/refund/domestic/refunds with out_refund_no = our refund id,
 * so a repeat of the same refund is the same refund at WeChat (idempotent), and GET
 * /v3/refund/domestic/refunds/{out_refund_no}. Partial and full refunds differ only in amount.
 */
const REFUNDS_PATH = '/v3/refund/domestic/refunds';
/** Codes after which the refund may exist: only a query can tell. */
const NOT_REFUSALS = new Set(['SYSTEM_ERROR', 'FREQUENCY_LIMITED']);
const REFUND_NOT_FOUND = new Set(['RESOURCE_NOT_EXISTS', 'ORDER_NOT_EXIST']);
const REASON_CHARS_MAX = 80;

export function refundObservationOf(refund: Refund): RefundObservation {
  const succeeded_at_ms = refund.success_time === undefined ? null : parseRfc3339(refund.success_time);
  return {
    status: refundStatusOf(refund.status),
    channel_status: refund.status,
    ...(refund.refund_id !== undefined ? { channel_refund_no: refund.refund_id } : {}),
    ...(refund.amount?.refund !== undefined ? { amount_fen: refund.amount.refund } : {}),
    ...(succeeded_at_ms !== null ? { succeeded_at_ms } : {}),
  };
}

function observedFrom(
  json: unknown,
  config: WechatConfig,
  refund: RefundForChannel,
  what: string,
): RefundOutcome {
  const read = readRefund(json);
  if (!read) return { kind: 'unknown', reason: `${what} reply is not a refund` };
  // A signed answer about another refund, order or merchant is not an answer about this one.
  if (
    read.out_refund_no !== refund.id ||
    (read.out_trade_no !== undefined && read.out_trade_no !== refund.payment_id) ||
    foreignRefundIdOf(config, read, false) !== null
  ) {
    return { kind: 'unknown', reason: `${what} reply is about another refund, order or merchant` };
  }
  return { kind: 'observed', ...refundObservationOf(read) };
}

export async function requestRefund(
  ctx: ChannelContext,
  config: WechatConfig,
  refund: RefundForChannel,
): Promise<RefundOutcome> {
  const body = {
    ...(config.mode === 'partner' ? { sub_mchid: config.sub_mchid } : {}),
    out_trade_no: refund.payment_id,
    out_refund_no: refund.id,
    ...(refund.reason !== undefined && refund.reason !== ''
      ? { reason: [...refund.reason].slice(0, REASON_CHARS_MAX).join('') }
      : {}),
    notify_url: refund.channel_notify_url,
    amount: { refund: refund.amount_fen, total: refund.payment_amount_fen, currency: 'CNY' },
  };
  const answer = await callWechat(ctx, config, 'POST', REFUNDS_PATH, JSON.stringify(body));
  if (answer.kind === 'no_answer') return { kind: 'unknown', reason: answer.reason };
  if (answer.status === 200) return observedFrom(answer.json, config, refund, 'refund');
  const error = errorOf(answer);
  if (isRefusalStatus(answer.status) && error && !NOT_REFUSALS.has(error.code))
    return { kind: 'refused', channel_code: error.code, message: error.message };
  return unknownFromAnswer(answer, 'refund');
}

export async function queryRefund(
  ctx: ChannelContext,
  config: WechatConfig,
  refund: RefundForChannel,
): Promise<RefundOutcome> {
  const query = subMchidQuery(config);
  const path = `${REFUNDS_PATH}/${encodeURIComponent(refund.id)}${query === '' ? '' : `?${query}`}`;
  const answer = await callWechat(ctx, config, 'GET', path);
  if (answer.kind === 'no_answer') return { kind: 'unknown', reason: answer.reason };
  if (answer.status === 200) return observedFrom(answer.json, config, refund, 'refund query');
  const error = errorOf(answer);
  if (answer.status === 404 && error && REFUND_NOT_FOUND.has(error.code))
    return { kind: 'observed', status: 'NOT_FOUND', channel_status: error.code };
  return unknownFromAnswer(answer, 'refund query');
}
