import type { PayWay } from '../../domain/pay-way.ts';
import { classifyPaymentCode } from '../../domain/payment-code.ts';
import type {
  ChannelContext,
  CloseOutcome,
  CreateOutcome,
  PaymentForChannel,
  QueryOutcome,
} from '../types.ts';
import type { UnionpayConfig } from './config.ts';
import {
  BACK_TRANS_PATH,
  CHANNEL_TYPE_MOBILE,
  CURRENCY_CNY,
  JSAPI_TN_FIELD,
  JSAPI_USER_AUTH_FIELD,
  TXN_BAR_CONSUME,
  TXN_JSAPI_CONSUME,
  TXN_QR_APPLY,
  USER_AUTH_CODE_INVALID,
  USER_AUTH_CODE_REUSED,
  USER_AUTH_INVALID_MARK,
  USER_AUTH_USED_MARK,
} from './constants.ts';
import type { AcpFields } from './form.ts';
import { cancelOrderIdOf, orderIdOf, txnTimeOf } from './order-id.ts';
import { queryTransaction } from './query.ts';
import { toAcpTime } from './time.ts';
import { callUnionpay, describe } from './transport.ts';
import { CODES_NOT_REFUSALS, RESP_SUCCESS, readFen, tradeStatusOfCode } from './wire.ts';

/**
 * Payments: create (UP_QR, UP_BAR, UP_JSAPI), query and close. The rule for outcomes: only a
 * verified answer can say "no" or "paid"; anything else is unknown and is settled later by query.
 */
export const PAY_WAYS: readonly PayWay[] = ['UP_QR', 'UP_BAR', 'UP_JSAPI'];

export interface WireIds {
  order_id: string;
  txn_time: string;
}

/** orderId and txnTime of one of our ids, or null when it is not a prefixed ULID. */
export function wireIds(our_id: string): WireIds | null {
  const order_id = orderIdOf(our_id);
  const txn_time = txnTimeOf(our_id);
  return order_id === null || txn_time === null ? null : { order_id, txn_time };
}

type Refused = Extract<CreateOutcome, { kind: 'refused' }>;

function refused(channel_code: string, message: string): Refused {
  return { kind: 'refused', channel_code, message };
}

/** The transaction fields of a create, or a refusal when the payment cannot be expressed. */
function createFields(payment: PaymentForChannel, ids: WireIds): { fields: AcpFields } | Refused {
  const base: AcpFields = {
    channelType: CHANNEL_TYPE_MOBILE,
    orderId: ids.order_id,
    txnTime: ids.txn_time,
    txnAmt: String(payment.amount_fen),
    currencyCode: CURRENCY_CNY,
    backUrl: payment.channel_notify_url,
  };
  if (payment.pay_way === 'UP_QR') {
    return { fields: { ...TXN_QR_APPLY, ...base, payTimeout: toAcpTime(payment.expires_at_ms) } };
  }
  if (payment.pay_way === 'UP_BAR') {
    const code = payment.auth_code ?? '';
    // 62 + 17 digits: the one rule for every wallet's codes lives in domain/payment-code.ts.
    if (classifyPaymentCode(code) !== 'UP_BAR')
      return refused('AUTH_CODE_INVALID', 'a UnionPay payment code is 62 followed by 17 digits');
    return { fields: { ...TXN_BAR_CONSUME, ...base, qrNo: code } };
  }
  const auth = payment.payer?.unionpay_user_auth_code;
  if (auth === undefined || auth === '')
    return refused('PAYER_MISSING', 'UP_JSAPI needs payer.unionpay_user_auth_code');
  return {
    fields: {
      ...TXN_JSAPI_CONSUME,
      ...base,
      [JSAPI_USER_AUTH_FIELD]: auth,
      payTimeout: toAcpTime(payment.expires_at_ms),
    },
  };
}

function accepted(payment: PaymentForChannel, answer: AcpFields): CreateOutcome {
  if (payment.pay_way === 'UP_QR') {
    if (!answer.qrCode) return { kind: 'unknown', reason: 'reply has no qrCode' };
    return { kind: 'accepted', credential: { code_url: answer.qrCode } };
  }
  if (payment.pay_way === 'UP_JSAPI') {
    const tn = answer[JSAPI_TN_FIELD];
    if (!tn) return { kind: 'unknown', reason: 'reply has no tn' };
    return { kind: 'accepted', credential: { trade_no: tn } };
  }
  // A payment code answered 00: the money is taken.
  const queryId = answer.queryId;
  return {
    kind: 'accepted',
    credential: {},
    ...(queryId ? { channel_trade_no: queryId } : {}),
    observation: {
      status: 'PAID',
      channel_status: RESP_SUCCESS,
      amount_fen: payment.amount_fen,
      ...(queryId ? { channel_trade_no: queryId } : {}),
    },
  };
}

export async function createPayment(
  ctx: ChannelContext,
  config: UnionpayConfig,
  payment: PaymentForChannel,
): Promise<CreateOutcome> {
  if (!PAY_WAYS.includes(payment.pay_way)) {
    return refused('PAY_WAY_UNSUPPORTED', `unionpay adapter does not serve ${payment.pay_way}`);
  }
  const ids = wireIds(payment.id);
  if (!ids) return refused('ORDER_ID_UNSUPPORTED', 'the payment id cannot be a UnionPay orderId');
  const built = createFields(payment, ids);
  if ('kind' in built) return built;
  const call = await callUnionpay(ctx, config, BACK_TRANS_PATH, built.fields);
  if (call.kind === 'no_answer') return { kind: 'unknown', reason: call.reason };
  const answer = call.fields;
  if (answer.orderId !== undefined && answer.orderId !== ids.order_id) {
    return { kind: 'unknown', reason: 'reply is about another order' };
  }
  const code = answer.respCode ?? '';
  if (code === RESP_SUCCESS) return accepted(payment, answer);
  // 03/04/05, duplicates, busy: the order may exist there; query settles it.
  if (code === '' || CODES_NOT_REFUSALS.has(code))
    return { kind: 'unknown', reason: `create: ${describe(answer)}` };
  const message = answer.respMsg ?? '';
  if (payment.pay_way === 'UP_JSAPI') {
    // The cashier must tell "ask the payer to authorise again" from any other refusal.
    if (message.includes(USER_AUTH_USED_MARK)) return refused(USER_AUTH_CODE_REUSED, message);
    if (message.includes(USER_AUTH_INVALID_MARK)) return refused(USER_AUTH_CODE_INVALID, message);
  }
  return refused(code, message);
}

export async function queryPayment(
  ctx: ChannelContext,
  config: UnionpayConfig,
  payment_id: string,
): Promise<QueryOutcome> {
  const ids = wireIds(payment_id);
  if (!ids) return { kind: 'unknown', reason: 'the payment id cannot be a UnionPay orderId' };
  const found = await queryTransaction(ctx, config, ids.order_id, ids.txn_time);
  if (found.kind === 'unknown') return found;
  if (found.kind === 'not_found') return { kind: 'observed', status: 'NOT_FOUND', channel_status: '34' };
  let status = tradeStatusOfCode(found.orig_resp_code);
  if (status === 'PAID') {
    // A cancelled consume still queries as 00; our cancel transaction, if it succeeded, says more.
    const cancel = await queryTransaction(ctx, config, cancelOrderIdOf(ids.order_id), ids.txn_time);
    if (cancel.kind === 'unknown') return { kind: 'unknown', reason: `cancel query: ${cancel.reason}` };
    if (cancel.kind === 'found' && tradeStatusOfCode(cancel.orig_resp_code) === 'PAID') status = 'REVERSED';
  }
  const amount_fen = readFen(found.fields.txnAmt);
  const queryId = found.fields.queryId;
  return {
    kind: 'observed',
    status,
    channel_status: status === 'REVERSED' ? 'cancel:00' : found.orig_resp_code,
    ...(queryId ? { channel_trade_no: queryId } : {}),
    ...(amount_fen !== null ? { amount_fen } : {}),
  };
}

/**
 * ACP has no close for a QR order: it stops being payable at its payTimeout. So close asks: paid
 * means paid; a failed (expired) order is as good as closed; an order still payable is refused.
 */
export async function closePayment(
  ctx: ChannelContext,
  config: UnionpayConfig,
  payment_id: string,
): Promise<CloseOutcome> {
  const observed = await queryPayment(ctx, config, payment_id);
  if (observed.kind === 'unknown') return observed;
  if (observed.status === 'PAID') return { kind: 'paid' };
  if (observed.status === 'FAILED' || observed.status === 'CLOSED') return { kind: 'closed' };
  return {
    kind: 'refused',
    channel_code: 'CLOSE_NOT_SUPPORTED',
    message: `UnionPay cannot close an order (${observed.status}); it expires at its payTimeout`,
  };
}
