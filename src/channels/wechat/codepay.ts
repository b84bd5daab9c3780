import { classifyPaymentCode } from '../../domain/payment-code.ts';
import type { ChannelContext, CreateOutcome, PaymentForChannel, ReverseOutcome } from '../types.ts';
import type { WechatConfig } from './config.ts';
import { closeIds, foreignIdOf, payIds, transactionsBase } from './merchant-ids.ts';
import { errorOf, isRefusalStatus, observationOf, unknownFromAnswer } from './outcomes.ts';
import { descriptionOf } from './prepay.ts';
import { callWechat } from './transport.ts';
import { readTransaction } from './wire.ts';

/**
 * Payment codes over APIv3 (付款码, protocols.md §1.7, §2.3, §5): codepay answers with the
 * trade itself. USERPAYING (the payer must confirm on the phone), SYSTEM_ERROR and BANK_ERROR
 * never mean failure: the payment is then PAYING or unknown, and query (or reverse) settles it.
 */
/** Codes after which the order may exist or be paid: only a query can tell. */
const NOT_REFUSALS = new Set([
  'USERPAYING',
  'SYSTEM_ERROR',
  'BANK_ERROR',
  'OUT_TRADE_NO_USED',
  'ORDERPAID',
  'ORDER_PAID',
]);

export function authCodeProblem(payment: PaymentForChannel): string | null {
  if (payment.auth_code === undefined || payment.auth_code === '')
    return 'WX_BAR needs the scanned auth_code';
  if (classifyPaymentCode(payment.auth_code) !== 'WX_BAR')
    return 'auth_code is not a WeChat payment code (18 digits, 10–15…)';
  return null;
}

export async function codepayV3(
  ctx: ChannelContext,
  config: WechatConfig,
  payment: PaymentForChannel,
): Promise<CreateOutcome> {
  const body = {
    ...payIds(config),
    description: descriptionOf(payment.subject),
    out_trade_no: payment.id,
    payer: { auth_code: payment.auth_code },
    amount: { total: payment.amount_fen, currency: 'CNY' },
    ...(payment.client_ip !== undefined ? { scene_info: { device_ip: payment.client_ip } } : {}),
  };
  const answer = await callWechat(
    ctx,
    config,
    'POST',
    `${transactionsBase(config)}/codepay`,
    JSON.stringify(body),
  );
  if (answer.kind === 'no_answer') return { kind: 'unknown', reason: answer.reason };
  if (answer.status === 200) {
    const tx = readTransaction(answer.json);
    if (!tx) return { kind: 'unknown', reason: 'codepay reply is not a transaction' };
    if (tx.out_trade_no !== payment.id || foreignIdOf(config, tx) !== null)
      return { kind: 'unknown', reason: 'codepay reply is about another order or merchant' };
    const observation = observationOf(tx);
    return {
      kind: 'accepted',
      credential: {},
      ...(observation.channel_trade_no !== undefined
        ? { channel_trade_no: observation.channel_trade_no }
        : {}),
      observation,
    };
  }
  const error = errorOf(answer);
  if (error?.code === 'USERPAYING') {
    return {
      kind: 'accepted',
      credential: {},
      observation: { status: 'PAYING', channel_status: 'USERPAYING' },
    };
  }
  if (isRefusalStatus(answer.status) && error && !NOT_REFUSALS.has(error.code)) {
    return { kind: 'refused', channel_code: error.code, message: error.message };
  }
  return unknownFromAnswer(answer, 'codepay');
}

/** Codes that ask for the same reverse again. */
const REVERSE_AGAIN = new Set(['SYSTEM_ERROR', 'BANK_ERROR', 'USERPAYING']);

export async function reverseV3(
  ctx: ChannelContext,
  config: WechatConfig,
  payment_id: string,
): Promise<ReverseOutcome> {
  const body =
    config.mode === 'direct'
      ? { appid: config.appid, ...closeIds(config) }
      : {
          sp_appid: config.appid,
          ...closeIds(config),
          ...(config.sub_appid !== undefined ? { sub_appid: config.sub_appid } : {}),
        };
  const path = `${transactionsBase(config)}/out-trade-no/${encodeURIComponent(payment_id)}/reverse`;
  const answer = await callWechat(ctx, config, 'POST', path, JSON.stringify(body));
  if (answer.kind === 'no_answer') return { kind: 'unknown', reason: answer.reason };
  if (answer.status === 200 || answer.status === 204) return { kind: 'reversed', channel_status: 'REVOKED' };
  const error = errorOf(answer);
  if (error && REVERSE_AGAIN.has(error.code)) return { kind: 'retry' };
  // Reversing twice is what we asked for.
  if (error?.code === 'ORDER_REVERSED') return { kind: 'reversed', channel_status: 'REVOKED' };
  if (isRefusalStatus(answer.status) && error)
    return { kind: 'refused', channel_code: error.code, message: error.message };
  return unknownFromAnswer(answer, 'reverse');
}
