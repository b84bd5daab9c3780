import type {
  ChannelAccount,
  ChannelAdapter,
  ChannelContext,
  CloseOutcome,
  QueryOutcome,
  RefundForChannel,
  RefundOutcome,
  ReverseOutcome,
} from '../types.ts';
import { downloadAlipayBill } from './bill.ts';
import { type AlipayConfig, alipayConfigOf, parseAlipayConfig } from './config.ts';
import { ALIPAY_PAY_WAYS, createAlipayPayment } from './create.ts';
import { alipayNotificationReply, parseAlipayNotification } from './notification.ts';
import { alipayPayerAuthorization } from './payer-auth.ts';
import { parseBeijingDateTime } from './time.ts';
import { callAlipay } from './transport.ts';
import {
  amountOfFen,
  describeResult,
  fenOfAmount,
  field,
  type GatewayResult,
  METHOD,
  refundStatusOf,
  refusalCode,
  tradeStatusOf,
  verdictOf,
} from './wire.ts';

/**
 * Alipay OpenAPI (gateway.do, RSA2), direct app or ISV acting for a merchant (app_auth_token),
 * key or certificate mode: every request signed, every reply verified before it is read
 * (transport.ts). The outcome rule: only a verified answer can say "no" or "paid"; anything else
 * is unknown and settled later by query.
 */

const TRADE_NOT_EXIST = 'ACQ.TRADE_NOT_EXIST';
/** close on a trade that is no longer WAIT_BUYER_PAY (paid, or already closed). */
const TRADE_STATUS_ERROR = 'ACQ.TRADE_STATUS_ERROR';

function configOf(account: ChannelAccount): AlipayConfig {
  return alipayConfigOf(account.config);
}

function unknown(what: string, result: GatewayResult): { kind: 'unknown'; reason: string } {
  return { kind: 'unknown', reason: `${what}: ${describeResult(result)}` };
}

function timeOf(result: GatewayResult, name: string): number | null {
  const text = field(result, name);
  return text === undefined ? null : parseBeijingDateTime(text);
}

async function queryPayment(
  ctx: ChannelContext,
  account: ChannelAccount,
  payment_id: string,
): Promise<QueryOutcome> {
  const answer = await callAlipay(ctx, configOf(account), METHOD.query, { out_trade_no: payment_id });
  if (answer.kind === 'no_answer') return { kind: 'unknown', reason: answer.reason };
  const result = answer.result;
  const verdict = verdictOf(result);
  if (verdict === 'refused' && result.sub_code === TRADE_NOT_EXIST)
    return { kind: 'observed', status: 'NOT_FOUND', channel_status: TRADE_NOT_EXIST };
  if (verdict !== 'success') return unknown('query', result);
  const trade_status = field(result, 'trade_status');
  if (trade_status === undefined) return { kind: 'unknown', reason: 'query reply has no trade_status' };
  if (field(result, 'out_trade_no') !== payment_id)
    return { kind: 'unknown', reason: 'query reply is about another order' };
  const trade_no = field(result, 'trade_no');
  const total = field(result, 'total_amount');
  const amount_fen = total === undefined ? null : fenOfAmount(total);
  const paid_at_ms = timeOf(result, 'send_pay_date');
  return {
    kind: 'observed',
    status: tradeStatusOf(trade_status),
    channel_status: trade_status,
    ...(trade_no !== undefined ? { channel_trade_no: trade_no } : {}),
    ...(amount_fen !== null ? { amount_fen } : {}),
    ...(paid_at_ms !== null ? { paid_at_ms } : {}),
  };
}

async function closePayment(
  ctx: ChannelContext,
  account: ChannelAccount,
  payment_id: string,
): Promise<CloseOutcome> {
  const answer = await callAlipay(ctx, configOf(account), METHOD.close, { out_trade_no: payment_id });
  if (answer.kind === 'no_answer') return { kind: 'unknown', reason: answer.reason };
  const result = answer.result;
  const verdict = verdictOf(result);
  if (verdict === 'success') return { kind: 'closed' };
  if (verdict === 'refused' && result.sub_code === TRADE_STATUS_ERROR) {
    // Alipay does not say whether the trade is paid or already closed; a query does.
    const state = await queryPayment(ctx, account, payment_id);
    if (state.kind === 'observed' && state.status === 'PAID') return { kind: 'paid' };
    if (state.kind === 'observed' && state.status === 'CLOSED') return { kind: 'closed' };
  }
  if (verdict === 'refused')
    return { kind: 'refused', channel_code: refusalCode(result), message: describeResult(result) };
  return unknown('close', result);
}

async function reversePayment(
  ctx: ChannelContext,
  account: ChannelAccount,
  payment_id: string,
): Promise<ReverseOutcome> {
  const answer = await callAlipay(ctx, configOf(account), METHOD.cancel, { out_trade_no: payment_id });
  if (answer.kind === 'no_answer') return { kind: 'unknown', reason: answer.reason };
  const result = answer.result;
  const verdict = verdictOf(result);
  if (verdict === 'success') {
    if (field(result, 'retry_flag') === 'Y') return { kind: 'retry' };
    // action: close (it was unpaid) or refund (it was paid and the money went back).
    return { kind: 'reversed', channel_status: field(result, 'action') ?? 'cancelled' };
  }
  if (verdict === 'refused')
    return { kind: 'refused', channel_code: refusalCode(result), message: describeResult(result) };
  return unknown('cancel', result);
}

async function refund(
  ctx: ChannelContext,
  account: ChannelAccount,
  r: RefundForChannel,
): Promise<RefundOutcome> {
  let refund_amount: string;
  try {
    refund_amount = amountOfFen(r.amount_fen);
  } catch {
    return {
      kind: 'refused',
      channel_code: 'AMOUNT_OUT_OF_RANGE',
      message: 'Alipay takes 0.01 to 100000000.00 yuan',
    };
  }
  const biz = {
    out_trade_no: r.payment_id,
    ...(r.channel_trade_no !== undefined ? { trade_no: r.channel_trade_no } : {}),
    refund_amount,
    // Our refund id: the idempotency key; a retry must send the same id and amount.
    out_request_no: r.id,
    ...(r.reason !== undefined && r.reason !== '' ? { refund_reason: r.reason } : {}),
  };
  const answer = await callAlipay(ctx, configOf(account), METHOD.refund, biz);
  if (answer.kind === 'no_answer') return { kind: 'unknown', reason: answer.reason };
  const result = answer.result;
  const verdict = verdictOf(result);
  if (verdict === 'refused')
    return { kind: 'refused', channel_code: refusalCode(result), message: describeResult(result) };
  if (verdict !== 'success') return unknown('refund', result);
  if (field(result, 'out_trade_no') !== r.payment_id)
    return { kind: 'unknown', reason: 'refund reply is about another order' };
  const fund_change = field(result, 'fund_change') ?? '';
  const trade_no = field(result, 'trade_no');
  const at_ms = timeOf(result, 'gmt_refund_pay');
  // fund_change=N: no money moved by this call (a repeat, or not done yet): Alipay's advice is to
  // confirm with the refund query, so it is PROCESSING until queryRefund says otherwise.
  return {
    kind: 'observed',
    status: fund_change === 'Y' ? 'SUCCESS' : 'PROCESSING',
    channel_status: `fund_change=${fund_change}`,
    ...(trade_no !== undefined ? { channel_refund_no: trade_no } : {}),
    ...(fund_change === 'Y' ? { amount_fen: r.amount_fen } : {}),
    ...(fund_change === 'Y' && at_ms !== null ? { succeeded_at_ms: at_ms } : {}),
  };
}

async function queryRefund(
  ctx: ChannelContext,
  account: ChannelAccount,
  r: RefundForChannel,
): Promise<RefundOutcome> {
  const biz = { out_trade_no: r.payment_id, out_request_no: r.id, query_options: ['gmt_refund_pay'] };
  const answer = await callAlipay(ctx, configOf(account), METHOD.refund_query, biz);
  if (answer.kind === 'no_answer') return { kind: 'unknown', reason: answer.reason };
  const result = answer.result;
  const verdict = verdictOf(result);
  if (verdict === 'refused' && result.sub_code === TRADE_NOT_EXIST)
    return { kind: 'observed', status: 'NOT_FOUND', channel_status: TRADE_NOT_EXIST };
  if (verdict !== 'success') return unknown('refund query', result);
  const echoed = field(result, 'out_request_no');
  if (echoed !== undefined && echoed !== r.id)
    return { kind: 'unknown', reason: 'refund query reply is about another refund' };
  const refund_status = field(result, 'refund_status');
  const amount_text = field(result, 'refund_amount');
  const amount_fen = amount_text === undefined ? null : fenOfAmount(amount_text);
  const at_ms = timeOf(result, 'gmt_refund_pay');
  const trade_no = field(result, 'trade_no');
  return {
    kind: 'observed',
    status: refundStatusOf(refund_status),
    channel_status: refund_status ?? 'ABSENT',
    ...(trade_no !== undefined ? { channel_refund_no: trade_no } : {}),
    ...(refund_status !== undefined && amount_fen !== null ? { amount_fen } : {}),
    ...(refund_status !== undefined && at_ms !== null ? { succeeded_at_ms: at_ms } : {}),
  };
}

export const alipayAdapter: ChannelAdapter = {
  channel: 'alipay',
  pay_ways: ALIPAY_PAY_WAYS,
  validateConfig(config) {
    parseAlipayConfig(config);
  },
  createPayment: (ctx, account, payment) => createAlipayPayment(ctx, configOf(account), payment),
  queryPayment,
  closePayment,
  async parseNotification(_ctx, account, request) {
    return parseAlipayNotification(configOf(account), request);
  },
  notificationReply: alipayNotificationReply,
  reversePayment,
  refund,
  queryRefund,
  downloadBill: (ctx, account, bill_date) => downloadAlipayBill(ctx, configOf(account), bill_date),
  payer_authorization: alipayPayerAuthorization(configOf),
};
