import type { ChannelContext, ReverseOutcome } from '../types.ts';
import type { UnionpayConfig } from './config.ts';
import {
  BACK_TRANS_PATH,
  CHANNEL_TYPE_MOBILE,
  CURRENCY_CNY,
  ORDER_REF_FIELD,
  TXN_CANCEL,
} from './constants.ts';
import { cancelOrderIdOf } from './order-id.ts';
import { wireIds } from './payment.ts';
import { queryTransaction } from './query.ts';
import { callUnionpay, describe } from './transport.ts';
import { CODES_NOT_REFUSALS, RESP_DUPLICATE, RESP_SUCCESS, tradeStatusOfCode } from './wire.ts';

/**
 * Cancel (31/00), used as reverse for a payment-code order whose result is unknown or unwanted.
 * A cancel names the consume by its queryId, so the consume is queried first: still in progress
 * means "ask again", failed or absent means there is nothing to cancel, paid means cancel it.
 * The cancel's orderId is derived from the payment's (order-id.ts), so a repeat is the same
 * transaction. No backUrl is sent (the seam gives us none here); the answer and a query suffice.
 */
export async function reversePayment(
  ctx: ChannelContext,
  config: UnionpayConfig,
  payment_id: string,
): Promise<ReverseOutcome> {
  const ids = wireIds(payment_id);
  if (!ids) return { kind: 'refused', channel_code: 'ORDER_ID_UNSUPPORTED', message: 'payment id' };
  const consume = await queryTransaction(ctx, config, ids.order_id, ids.txn_time);
  if (consume.kind === 'unknown') return consume;
  if (consume.kind === 'not_found')
    return { kind: 'refused', channel_code: '34', message: 'no consume to cancel' };
  const status = tradeStatusOfCode(consume.orig_resp_code);
  if (status === 'PAYING') return { kind: 'retry' };
  if (status !== 'PAID') {
    return { kind: 'refused', channel_code: consume.orig_resp_code, message: 'the consume did not succeed' };
  }
  const cancel_order_id = cancelOrderIdOf(ids.order_id);
  const call = await callUnionpay(ctx, config, BACK_TRANS_PATH, {
    ...TXN_CANCEL,
    channelType: CHANNEL_TYPE_MOBILE,
    orderId: cancel_order_id,
    txnTime: ids.txn_time,
    txnAmt: consume.fields.txnAmt ?? '',
    currencyCode: CURRENCY_CNY,
    origQryId: consume.fields.queryId ?? '',
    [ORDER_REF_FIELD]: ids.order_id,
  });
  if (call.kind === 'no_answer') return { kind: 'unknown', reason: call.reason };
  const code = call.fields.respCode ?? '';
  if (code === RESP_SUCCESS) return { kind: 'reversed', channel_status: 'cancel:00' };
  if (code === RESP_DUPLICATE) {
    // Cancelled before, by an earlier try of ours: its own result decides.
    const earlier = await queryTransaction(ctx, config, cancel_order_id, ids.txn_time);
    if (earlier.kind === 'unknown') return earlier;
    if (earlier.kind === 'found') {
      const result = tradeStatusOfCode(earlier.orig_resp_code);
      if (result === 'PAID') return { kind: 'reversed', channel_status: 'cancel:00' };
      if (result === 'PAYING') return { kind: 'retry' };
    }
    return { kind: 'unknown', reason: 'an earlier cancel exists but did not succeed' };
  }
  if (code === '' || CODES_NOT_REFUSALS.has(code))
    return { kind: 'unknown', reason: `cancel: ${describe(call.fields)}` };
  return { kind: 'refused', channel_code: code, message: call.fields.respMsg ?? '' };
}
