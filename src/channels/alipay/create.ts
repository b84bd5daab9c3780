import type { PayWay } from '../../domain/pay-way.ts';
import type { ChannelContext, CreateOutcome, PayCredential, PaymentForChannel } from '../types.ts';
import type { AlipayConfig } from './config.ts';
import { appOrderString, pageForm, pageUrl } from './page.ts';
import { signedParams } from './request.ts';
import { parseBeijingDateTime, toBeijingDateTime } from './time.ts';
import { type AlipayCall, callAlipay } from './transport.ts';
import {
  amountOfFen,
  describeResult,
  fenOfAmount,
  field,
  type GatewayResult,
  METHOD,
  refusalCode,
  verdictOf,
} from './wire.ts';

/**
 * Creating a payment, per pay way (protocols.md §3.5). The server-to-server ways (QR, BAR,
 * JSAPI) follow one rule: only a verified answer can say "no" or "paid"; anything else is
 * unknown and settled by query. The page and app ways are signed offline: the trade comes into
 * being at Alipay only when the payer opens the page or the app.
 */

export const ALIPAY_PAY_WAYS: readonly PayWay[] = [
  'ALI_QR',
  'ALI_BAR',
  'ALI_JSAPI',
  'ALI_WAP',
  'ALI_PC',
  'ALI_APP',
];

/** Product codes Alipay expects per pay way. */
const PRODUCT_CODE: Readonly<Record<string, string>> = {
  ALI_QR: 'FACE_TO_FACE_PAYMENT',
  ALI_BAR: 'FACE_TO_FACE_PAYMENT',
  ALI_JSAPI: 'JSAPI_PAY',
  ALI_WAP: 'QUICK_WAP_WAY',
  ALI_PC: 'FAST_INSTANT_TRADE_PAY',
  ALI_APP: 'QUICK_MSECURITY_PAY',
};
/** Alipay's subject limit. */
const SUBJECT_CHARS_MAX = 256;
/**
 * 40004 sub_codes on create that do not mean "nothing was created": an order with this
 * out_trade_no exists there and is paid (an earlier try of ours may have made it). Query settles.
 */
const CREATE_SUB_CODES_NOT_REFUSALS: ReadonlySet<string> = new Set(['ACQ.TRADE_HAS_SUCCESS']);

function refused(channel_code: string, message: string): CreateOutcome {
  return { kind: 'refused', channel_code, message };
}

function baseBiz(payment: PaymentForChannel): Record<string, string> {
  return {
    out_trade_no: payment.id,
    total_amount: amountOfFen(payment.amount_fen),
    subject: [...payment.subject].slice(0, SUBJECT_CHARS_MAX).join(''),
    product_code: PRODUCT_CODE[payment.pay_way]!,
  };
}

/** What a create reply that is not a success means. */
function notAccepted(answer: AlipayCall, method: string): CreateOutcome {
  if (answer.kind === 'no_answer') return { kind: 'unknown', reason: answer.reason };
  const result = answer.result;
  const verdict = verdictOf(result);
  if (verdict === 'refused' && !CREATE_SUB_CODES_NOT_REFUSALS.has(result.sub_code ?? '')) {
    return refused(refusalCode(result), describeResult(result));
  }
  return { kind: 'unknown', reason: `${method}: ${describeResult(result)}` };
}

/** A signed answer about some other order is still not an answer about this one. */
function aboutOther(result: GatewayResult, payment: PaymentForChannel): boolean {
  const echoed = field(result, 'out_trade_no');
  return echoed !== undefined && echoed !== payment.id;
}

async function createQr(ctx: ChannelContext, config: AlipayConfig, payment: PaymentForChannel) {
  const biz = { ...baseBiz(payment), time_expire: toBeijingDateTime(payment.expires_at_ms) };
  const answer = await callAlipay(ctx, config, METHOD.precreate, biz, payment.channel_notify_url);
  if (answer.kind !== 'answered' || verdictOf(answer.result) !== 'success')
    return notAccepted(answer, 'precreate');
  const qr_code = field(answer.result, 'qr_code');
  if (qr_code === undefined || aboutOther(answer.result, payment))
    return { kind: 'unknown', reason: 'precreate reply has no qr_code for this order' } as const;
  return { kind: 'accepted', credential: { code_url: qr_code } } as const;
}

async function createBar(ctx: ChannelContext, config: AlipayConfig, payment: PaymentForChannel) {
  if (payment.auth_code === undefined || payment.auth_code === '')
    return refused('AUTH_CODE_MISSING', 'ALI_BAR needs the payment code (auth_code)');
  const biz = { ...baseBiz(payment), scene: 'bar_code', auth_code: payment.auth_code };
  const answer = await callAlipay(ctx, config, METHOD.pay, biz, payment.channel_notify_url);
  if (answer.kind !== 'answered') return notAccepted(answer, 'pay');
  const verdict = verdictOf(answer.result);
  if (verdict !== 'success' && verdict !== 'paying') return notAccepted(answer, 'pay');
  if (aboutOther(answer.result, payment))
    return { kind: 'unknown', reason: 'pay reply is about another order' } as const;
  const trade_no = field(answer.result, 'trade_no');
  if (verdict === 'paying') {
    // 10003: the payer must confirm on the phone; query (then cancel) settles it.
    return {
      kind: 'accepted',
      credential: {},
      ...(trade_no !== undefined ? { channel_trade_no: trade_no } : {}),
      observation: {
        status: 'PAYING',
        channel_status: 'WAIT_BUYER_PAY',
        ...(trade_no !== undefined ? { channel_trade_no: trade_no } : {}),
      },
    } as const;
  }
  const total = field(answer.result, 'total_amount');
  const amount_fen = total === undefined ? null : fenOfAmount(total);
  const gmt_payment = field(answer.result, 'gmt_payment');
  const paid_at_ms = gmt_payment === undefined ? null : parseBeijingDateTime(gmt_payment);
  return {
    kind: 'accepted',
    credential: {},
    ...(trade_no !== undefined ? { channel_trade_no: trade_no } : {}),
    observation: {
      status: 'PAID',
      channel_status: 'TRADE_SUCCESS',
      ...(trade_no !== undefined ? { channel_trade_no: trade_no } : {}),
      ...(amount_fen !== null ? { amount_fen } : {}),
      ...(paid_at_ms !== null ? { paid_at_ms } : {}),
    },
  } as const;
}

async function createJsapi(ctx: ChannelContext, config: AlipayConfig, payment: PaymentForChannel) {
  const buyer_id = payment.payer?.alipay_buyer_id;
  const open_id = payment.payer?.alipay_open_id;
  if ((buyer_id === undefined) === (open_id === undefined))
    return refused('PAYER_MISSING', 'ALI_JSAPI needs exactly one of alipay_buyer_id and alipay_open_id');
  const biz = {
    ...baseBiz(payment),
    time_expire: toBeijingDateTime(payment.expires_at_ms),
    ...(buyer_id !== undefined ? { buyer_id } : { buyer_open_id: open_id }),
  };
  const answer = await callAlipay(ctx, config, METHOD.create, biz, payment.channel_notify_url);
  if (answer.kind !== 'answered' || verdictOf(answer.result) !== 'success')
    return notAccepted(answer, 'create');
  const trade_no = field(answer.result, 'trade_no');
  if (trade_no === undefined || aboutOther(answer.result, payment))
    return { kind: 'unknown', reason: 'create reply has no trade_no for this order' } as const;
  return { kind: 'accepted', credential: { trade_no }, channel_trade_no: trade_no } as const;
}

const OFFLINE_METHOD = {
  ALI_WAP: METHOD.wap_pay,
  ALI_PC: METHOD.page_pay,
  ALI_APP: METHOD.app_pay,
} as const;

async function createOffline(
  ctx: ChannelContext,
  config: AlipayConfig,
  payment: PaymentForChannel,
  pay_way: keyof typeof OFFLINE_METHOD,
): Promise<CreateOutcome> {
  const biz = { ...baseBiz(payment), time_expire: toBeijingDateTime(payment.expires_at_ms) };
  const params = await signedParams(ctx.clock, config, OFFLINE_METHOD[pay_way], biz, {
    notify_url: payment.channel_notify_url,
    ...(pay_way !== 'ALI_APP' && payment.return_url !== undefined ? { return_url: payment.return_url } : {}),
  });
  const credential: PayCredential =
    pay_way === 'ALI_APP'
      ? { app_order_string: appOrderString(params) }
      : { pay_url: pageUrl(config.gateway_url, params), pay_form_html: pageForm(config.gateway_url, params) };
  return { kind: 'accepted', credential };
}

export async function createAlipayPayment(
  ctx: ChannelContext,
  config: AlipayConfig,
  payment: PaymentForChannel,
): Promise<CreateOutcome> {
  if (!ALIPAY_PAY_WAYS.includes(payment.pay_way))
    return refused('PAY_WAY_UNSUPPORTED', `alipay adapter does not serve ${payment.pay_way}`);
  try {
    amountOfFen(payment.amount_fen);
  } catch {
    return refused('AMOUNT_OUT_OF_RANGE', 'Alipay takes 0.01 to 100000000.00 yuan');
  }
  switch (payment.pay_way) {
    case 'ALI_QR':
      return createQr(ctx, config, payment);
    case 'ALI_BAR':
      return createBar(ctx, config, payment);
    case 'ALI_JSAPI':
      return createJsapi(ctx, config, payment);
    case 'ALI_WAP':
    case 'ALI_PC':
    case 'ALI_APP':
      return createOffline(ctx, config, payment, payment.pay_way);
    default:
      return refused('PAY_WAY_UNSUPPORTED', `alipay adapter does not serve ${payment.pay_way}`);
  }
}
