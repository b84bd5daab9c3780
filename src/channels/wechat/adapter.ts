import type { PayWay } from '../../domain/pay-way.ts';
import type {
  BillRow,
  ChannelAccount,
  ChannelAdapter,
  ChannelContext,
  CloseOutcome,
  CreateOutcome,
  PaymentForChannel,
  QueryOutcome,
  RefundForChannel,
  RefundOutcome,
  ReverseOutcome,
} from '../types.ts';
import { downloadTradeBill } from './bill.ts';
import { authCodeProblem, codepayV3, reverseV3 } from './codepay.ts';
import { parseWechatConfig, type WechatConfig } from './config.ts';
import { closeIds, foreignIdOf, merchantQuery, transactionsBase } from './merchant-ids.ts';
import { micropayV2, reverseV2 } from './micropay-v2.ts';
import { parseWechatNotification, wechatNotificationReply } from './notification.ts';
import { errorOf, isRefusalStatus, observationOf, unknownFromAnswer } from './outcomes.ts';
import { wechatPayerAuthorization } from './payer-auth.ts';
import { credentialOf, isPrepayWay, prepayPlan } from './prepay.ts';
import { queryRefund, requestRefund } from './refund.ts';
import { callWechat } from './transport.ts';
import { readTransaction } from './wire.ts';

/**
 * WeChat Pay: APIv3 for every pay way and operation, APIv2 XML for payment codes where an account
 * asks for it; direct merchant or service provider; WeChat Pay public key, platform certificates,
 * or both. Every call is signed with the merchant key and every reply is verified before it is read
 * (transport.ts, v2-transport.ts). The rule for outcomes: only a verified answer can say "no" or
 * "paid"; anything else is unknown and is settled later by query.
 */

const PAY_WAYS: readonly PayWay[] = ['WX_NATIVE', 'WX_JSAPI', 'WX_LITE', 'WX_H5', 'WX_APP', 'WX_BAR'];

const ORDER_PAID_CODES = new Set(['ORDER_PAID', 'ORDERPAID']);
/**
 * 4xx codes on create that do not mean "nothing was created": an order with this out_trade_no
 * already exists there (an earlier try of ours may have made it, and it may even be paid). Query
 * settles those. 429 (slow down) is treated the same way, by status.
 */
const CREATE_CODES_NOT_REFUSALS = new Set(['OUT_TRADE_NO_USED', ...ORDER_PAID_CODES]);

/**
 * Parsed settings per account config object. The core hands the same frozen config object for an
 * account until the account changes, so parsing (and checking the keys) happens once per change
 * instead of once per call.
 */
const parsed_configs = new WeakMap<object, WechatConfig>();

function configOf(account: ChannelAccount): WechatConfig {
  let config = parsed_configs.get(account.config);
  if (!config) {
    config = parseWechatConfig(account.config);
    parsed_configs.set(account.config, config);
  }
  return config;
}

async function createPayment(
  ctx: ChannelContext,
  account: ChannelAccount,
  payment: PaymentForChannel,
): Promise<CreateOutcome> {
  const config = configOf(account);
  if (payment.pay_way === 'WX_BAR') {
    const problem = authCodeProblem(payment);
    if (problem !== null) return { kind: 'refused', channel_code: 'AUTH_CODE_INVALID', message: problem };
    return config.bar_protocol === 'v2' ? micropayV2(ctx, config, payment) : codepayV3(ctx, config, payment);
  }
  if (!isPrepayWay(payment.pay_way)) {
    return {
      kind: 'refused',
      channel_code: 'PAY_WAY_UNSUPPORTED',
      message: `wechat adapter does not serve ${payment.pay_way}`,
    };
  }
  const plan = prepayPlan(config, payment.pay_way, payment);
  if (plan.kind === 'refused') return plan;
  const answer = await callWechat(ctx, config, 'POST', plan.path, JSON.stringify(plan.body));
  if (answer.kind === 'no_answer') return { kind: 'unknown', reason: answer.reason };
  if (answer.status === 200) {
    const credential = await credentialOf(ctx, config, payment.pay_way, payment, answer.json);
    if (!credential) {
      const wanted =
        payment.pay_way === 'WX_NATIVE' ? 'code_url' : payment.pay_way === 'WX_H5' ? 'h5_url' : 'prepay_id';
      return { kind: 'unknown', reason: `prepay reply has no ${wanted}` };
    }
    return { kind: 'accepted', credential };
  }
  if (isRefusalStatus(answer.status)) {
    const error = errorOf(answer);
    if (error && !CREATE_CODES_NOT_REFUSALS.has(error.code)) {
      return { kind: 'refused', channel_code: error.code, message: error.message };
    }
  }
  return unknownFromAnswer(answer, 'prepay');
}

async function queryAt(
  ctx: ChannelContext,
  config: WechatConfig,
  path: string,
  matches: (tx: { out_trade_no: string; transaction_id?: string }) => boolean,
): Promise<QueryOutcome> {
  const answer = await callWechat(ctx, config, 'GET', `${path}?${merchantQuery(config)}`);
  if (answer.kind === 'no_answer') return { kind: 'unknown', reason: answer.reason };
  if (answer.status === 404 && errorOf(answer)?.code === 'ORDER_NOT_EXIST') {
    return { kind: 'observed', status: 'NOT_FOUND', channel_status: 'ORDER_NOT_EXIST' };
  }
  if (answer.status !== 200) return unknownFromAnswer(answer, 'query');
  const tx = readTransaction(answer.json);
  if (!tx) return { kind: 'unknown', reason: 'query reply is not a transaction' };
  // A signed answer about some other order is still not an answer about this one.
  if (!matches(tx) || foreignIdOf(config, tx) !== null) {
    return { kind: 'unknown', reason: 'query reply is about another order or merchant' };
  }
  return { kind: 'observed', ...observationOf(tx) };
}

async function queryPayment(
  ctx: ChannelContext,
  account: ChannelAccount,
  payment_id: string,
): Promise<QueryOutcome> {
  const config = configOf(account);
  const path = `${transactionsBase(config)}/out-trade-no/${encodeURIComponent(payment_id)}`;
  return queryAt(ctx, config, path, (tx) => tx.out_trade_no === payment_id);
}

/** Query by WeChat's transaction_id (微信订单号), e.g. for a bill row or a support case. */
export async function queryByTransactionId(
  ctx: ChannelContext,
  account: ChannelAccount,
  transaction_id: string,
): Promise<QueryOutcome & { out_trade_no?: string }> {
  const config = configOf(account);
  const path = `${transactionsBase(config)}/id/${encodeURIComponent(transaction_id)}`;
  return queryAt(ctx, config, path, (tx) => tx.transaction_id === transaction_id);
}

async function closePayment(
  ctx: ChannelContext,
  account: ChannelAccount,
  payment_id: string,
): Promise<CloseOutcome> {
  const config = configOf(account);
  const answer = await callWechat(
    ctx,
    config,
    'POST',
    `${transactionsBase(config)}/out-trade-no/${encodeURIComponent(payment_id)}/close`,
    JSON.stringify(closeIds(config)),
  );
  if (answer.kind === 'no_answer') return { kind: 'unknown', reason: answer.reason };
  if (answer.status === 204 || answer.status === 200) return { kind: 'closed' };
  const error = errorOf(answer);
  if (isRefusalStatus(answer.status) && error) {
    if (ORDER_PAID_CODES.has(error.code)) return { kind: 'paid' };
    // Closing is idempotent for us: an order already closed is what we asked for.
    if (error.code === 'ORDER_CLOSED') return { kind: 'closed' };
    return { kind: 'refused', channel_code: error.code, message: error.message };
  }
  return unknownFromAnswer(answer, 'close');
}

async function reversePayment(
  ctx: ChannelContext,
  account: ChannelAccount,
  payment_id: string,
): Promise<ReverseOutcome> {
  const config = configOf(account);
  return config.bar_protocol === 'v2'
    ? reverseV2(ctx, config, payment_id)
    : reverseV3(ctx, config, payment_id);
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
  reversePayment,
  refund(ctx: ChannelContext, account: ChannelAccount, refund: RefundForChannel): Promise<RefundOutcome> {
    return requestRefund(ctx, configOf(account), refund);
  },
  queryRefund(
    ctx: ChannelContext,
    account: ChannelAccount,
    refund: RefundForChannel,
  ): Promise<RefundOutcome> {
    return queryRefund(ctx, configOf(account), refund);
  },
  downloadBill(ctx: ChannelContext, account: ChannelAccount, bill_date: string): AsyncIterable<BillRow> {
    return downloadTradeBill(ctx, configOf(account), bill_date);
  },
  payer_authorization: wechatPayerAuthorization(configOf),
};
