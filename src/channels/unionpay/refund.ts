import type { ChannelContext, RefundForChannel, RefundOutcome } from '../types.ts';
import type { UnionpayConfig } from './config.ts';
import {
  BACK_TRANS_PATH,
  CHANNEL_TYPE_MOBILE,
  CURRENCY_CNY,
  ORDER_REF_FIELD,
  TXN_REFUND,
} from './constants.ts';
import { wireIds } from './payment.ts';
import { queryTransaction } from './query.ts';
import { callUnionpay, describe } from './transport.ts';
import {
  CODES_NOT_REFUSALS,
  RESP_DUPLICATE,
  RESP_SUCCESS,
  readFen,
  refundStatusOfCode,
  tradeStatusOfCode,
} from './wire.ts';

/**
 * Refunds (04/00): our refund id is the orderId, the payment's queryId is origQryId, and the
 * payment's orderId rides in reqReserved so the notification names it. A back transaction's 00
 * means "accepted", so a refund starts PROCESSING; its result comes by notification or query.
 * Repeating a refund is safe: UnionPay answers 12 (duplicate) and we query the refund instead.
 */

/** The payment's queryId: given, or learnt by querying the payment. */
async function origQryId(
  ctx: ChannelContext,
  config: UnionpayConfig,
  refund: RefundForChannel,
): Promise<{ ok: true; query_id: string } | { ok: false; outcome: RefundOutcome }> {
  if (refund.channel_trade_no) return { ok: true, query_id: refund.channel_trade_no };
  const ids = wireIds(refund.payment_id);
  if (!ids)
    return {
      ok: false,
      outcome: { kind: 'refused', channel_code: 'ORDER_ID_UNSUPPORTED', message: 'payment id' },
    };
  const found = await queryTransaction(ctx, config, ids.order_id, ids.txn_time);
  if (found.kind === 'unknown') return { ok: false, outcome: found };
  if (found.kind === 'found' && tradeStatusOfCode(found.orig_resp_code) === 'PAID' && found.fields.queryId) {
    return { ok: true, query_id: found.fields.queryId };
  }
  return {
    ok: false,
    outcome: {
      kind: 'refused',
      channel_code: 'PAYMENT_NOT_PAID',
      message: 'the payment is not paid at UnionPay',
    },
  };
}

export async function queryRefund(
  ctx: ChannelContext,
  config: UnionpayConfig,
  refund: RefundForChannel,
): Promise<RefundOutcome> {
  const ids = wireIds(refund.id);
  if (!ids) return { kind: 'unknown', reason: 'the refund id cannot be a UnionPay orderId' };
  const found = await queryTransaction(ctx, config, ids.order_id, ids.txn_time);
  if (found.kind === 'unknown') return found;
  if (found.kind === 'not_found') return { kind: 'observed', status: 'NOT_FOUND', channel_status: '34' };
  const amount_fen = readFen(found.fields.txnAmt);
  return {
    kind: 'observed',
    status: refundStatusOfCode(found.orig_resp_code),
    channel_status: found.orig_resp_code,
    ...(found.fields.queryId ? { channel_refund_no: found.fields.queryId } : {}),
    ...(amount_fen !== null ? { amount_fen } : {}),
  };
}

export async function refund(
  ctx: ChannelContext,
  config: UnionpayConfig,
  request: RefundForChannel,
): Promise<RefundOutcome> {
  const ids = wireIds(request.id);
  const payment = wireIds(request.payment_id);
  if (!ids || !payment) {
    return {
      kind: 'refused',
      channel_code: 'ORDER_ID_UNSUPPORTED',
      message: 'the id cannot be a UnionPay orderId',
    };
  }
  const orig = await origQryId(ctx, config, request);
  if (!orig.ok) return orig.outcome;
  const call = await callUnionpay(ctx, config, BACK_TRANS_PATH, {
    ...TXN_REFUND,
    channelType: CHANNEL_TYPE_MOBILE,
    orderId: ids.order_id,
    txnTime: ids.txn_time,
    txnAmt: String(request.amount_fen),
    currencyCode: CURRENCY_CNY,
    origQryId: orig.query_id,
    backUrl: request.channel_notify_url,
    [ORDER_REF_FIELD]: payment.order_id,
  });
  if (call.kind === 'no_answer') return { kind: 'unknown', reason: call.reason };
  const answer = call.fields;
  const code = answer.respCode ?? '';
  if (code === RESP_SUCCESS) {
    return {
      kind: 'observed',
      status: 'PROCESSING',
      channel_status: code,
      ...(answer.queryId ? { channel_refund_no: answer.queryId } : {}),
      amount_fen: request.amount_fen,
    };
  }
  if (code === RESP_DUPLICATE) return queryRefund(ctx, config, request);
  if (code === '' || CODES_NOT_REFUSALS.has(code))
    return { kind: 'unknown', reason: `refund: ${describe(answer)}` };
  return { kind: 'refused', channel_code: code, message: answer.respMsg ?? '' };
}
