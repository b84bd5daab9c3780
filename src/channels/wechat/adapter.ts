import type { PayWay } from '../../domain/pay-way.ts';
import type {
  ChannelAccount,
  ChannelAdapter,
  ChannelContext,
  CloseOutcome,
  CreateOutcome,
  PaymentForChannel,
  QueryOutcome,
} from '../types.ts';
import { parseWechatConfig, type WechatConfig } from './config.ts';
import { parseWechatNotification, wechatNotificationReply } from './notification.ts';
import { parseRfc3339, toRfc3339Beijing } from './time.ts';
import { callWechat, type WechatCall } from './transport.ts';
import {
  type CloseRequest,
  type NativePrepayRequest,
  readErrorBody,
  readPrepayResponse,
  readTransaction,
  tradeStatusOf,
} from './wire.ts';

/**
 * WeChat Pay APIv3, direct merchant (直连), "WeChat Pay public key" mode. Every call is signed with
 * the merchant key and every reply is verified before it is read (transport.ts). The rule for
 * outcomes: only a verified answer can say "no" or "paid"; anything else is unknown and is settled
 * later by query.
 */

const PAY_WAYS: readonly PayWay[] = ['WX_NATIVE'];

const ORDER_PAID_CODES = new Set(['ORDER_PAID', 'ORDERPAID']);
/**
 * 4xx codes on create that do not mean "nothing was created": an order with this out_trade_no
 * already exists there (an earlier try of ours may have made it, and it may even be paid). Query
 * settles those. 429 (slow down) is treated the same way, by status.
 */
const CREATE_CODES_NOT_REFUSALS = new Set(['OUT_TRADE_NO_USED', ...ORDER_PAID_CODES]);
const DESCRIPTION_CHARS_MAX = 127;

function configOf(account: ChannelAccount): WechatConfig {
  return parseWechatConfig(account.config);
}

function outTradeNoPath(out_trade_no: string): string {
  return `/v3/pay/transactions/out-trade-no/${encodeURIComponent(out_trade_no)}`;
}

type Answered = Extract<WechatCall, { kind: 'answered' }>;

/** Code and message of a verified error reply, or null when its body is not an error body. */
function errorOf(answer: Answered): { code: string; message: string } | null {
  const error = readErrorBody(answer.json);
  return error ? { code: error.code, message: error.message } : null;
}

function unknownFromAnswer(answer: Answered, what: string): { kind: 'unknown'; reason: string } {
  const error = errorOf(answer);
  return {
    kind: 'unknown',
    reason: error
      ? `${what}: HTTP ${answer.status} ${error.code}: ${error.message}`
      : `${what}: HTTP ${answer.status}`,
  };
}

function prepayBody(config: WechatConfig, payment: PaymentForChannel): NativePrepayRequest {
  return {
    appid: config.appid,
    mchid: config.mchid,
    // WeChat caps description at 127 characters; a longer subject would be refused outright.
    description: [...payment.subject].slice(0, DESCRIPTION_CHARS_MAX).join(''),
    out_trade_no: payment.id,
    time_expire: toRfc3339Beijing(payment.expires_at_ms),
    notify_url: payment.channel_notify_url,
    amount: { total: payment.amount_fen, currency: 'CNY' },
    ...(payment.client_ip !== undefined ? { scene_info: { payer_client_ip: payment.client_ip } } : {}),
  };
}

async function createPayment(
  ctx: ChannelContext,
  account: ChannelAccount,
  payment: PaymentForChannel,
): Promise<CreateOutcome> {
  if (!PAY_WAYS.includes(payment.pay_way)) {
    return {
      kind: 'refused',
      channel_code: 'PAY_WAY_UNSUPPORTED',
      message: `wechat adapter does not serve ${payment.pay_way}`,
    };
  }
  const config = configOf(account);
  const body = JSON.stringify(prepayBody(config, payment));
  const answer = await callWechat(ctx, config, 'POST', '/v3/pay/transactions/native', body);
  if (answer.kind === 'no_answer') return { kind: 'unknown', reason: answer.reason };
  if (answer.status === 200) {
    const prepay = readPrepayResponse(answer.json);
    if (!prepay) return { kind: 'unknown', reason: 'prepay reply has no code_url' };
    return { kind: 'accepted', credential: { code_url: prepay.code_url } };
  }
  if (answer.status >= 400 && answer.status < 500 && answer.status !== 429) {
    const error = errorOf(answer);
    if (error && !CREATE_CODES_NOT_REFUSALS.has(error.code)) {
      return { kind: 'refused', channel_code: error.code, message: error.message };
    }
  }
  return unknownFromAnswer(answer, 'prepay');
}

async function queryPayment(
  ctx: ChannelContext,
  account: ChannelAccount,
  payment_id: string,
): Promise<QueryOutcome> {
  const config = configOf(account);
  const path = `${outTradeNoPath(payment_id)}?mchid=${encodeURIComponent(config.mchid)}`;
  const answer = await callWechat(ctx, config, 'GET', path);
  if (answer.kind === 'no_answer') return { kind: 'unknown', reason: answer.reason };
  if (answer.status === 404 && errorOf(answer)?.code === 'ORDER_NOT_EXIST') {
    return { kind: 'observed', status: 'NOT_FOUND', channel_status: 'ORDER_NOT_EXIST' };
  }
  if (answer.status !== 200) return unknownFromAnswer(answer, 'query');
  const tx = readTransaction(answer.json);
  if (!tx) return { kind: 'unknown', reason: 'query reply is not a transaction' };
  // A signed answer about some other order is still not an answer about this one.
  if (tx.out_trade_no !== payment_id || tx.mchid !== config.mchid) {
    return { kind: 'unknown', reason: 'query reply is about another order or merchant' };
  }
  const paid_at_ms = tx.success_time === undefined ? null : parseRfc3339(tx.success_time);
  return {
    kind: 'observed',
    status: tradeStatusOf(tx.trade_state),
    channel_status: tx.trade_state,
    ...(tx.transaction_id !== undefined ? { channel_trade_no: tx.transaction_id } : {}),
    ...(tx.amount?.total !== undefined ? { amount_fen: tx.amount.total } : {}),
    ...(paid_at_ms !== null ? { paid_at_ms } : {}),
  };
}

async function closePayment(
  ctx: ChannelContext,
  account: ChannelAccount,
  payment_id: string,
): Promise<CloseOutcome> {
  const config = configOf(account);
  const body: CloseRequest = { mchid: config.mchid };
  const answer = await callWechat(
    ctx,
    config,
    'POST',
    `${outTradeNoPath(payment_id)}/close`,
    JSON.stringify(body),
  );
  if (answer.kind === 'no_answer') return { kind: 'unknown', reason: answer.reason };
  if (answer.status === 204 || answer.status === 200) return { kind: 'closed' };
  const error = errorOf(answer);
  if (answer.status >= 400 && answer.status < 500 && error) {
    if (ORDER_PAID_CODES.has(error.code)) return { kind: 'paid' };
    // Closing is idempotent for us: an order already closed is what we asked for.
    if (error.code === 'ORDER_CLOSED') return { kind: 'closed' };
    if (answer.status !== 429) return { kind: 'refused', channel_code: error.code, message: error.message };
  }
  return unknownFromAnswer(answer, 'close');
}

export const wechatAdapter: ChannelAdapter = {
  channel: 'wechat',
  pay_ways: PAY_WAYS,
  validateConfig(config) {
    parseWechatConfig(config);
  },
  createPayment,
  queryPayment,
  closePayment,
  async parseNotification(ctx, account, request) {
    return parseWechatNotification(ctx, configOf(account), request);
  },
  notificationReply: wechatNotificationReply,
};
