import { classifyPaymentCode } from '../../../domain/payment-code.ts';
import { alphanumericNonce } from '../../../domain/random.ts';
import { parseBeijingDateTime, toBeijingDateTime } from '../time.ts';
import { amountOfFen } from '../wire.ts';
import { amountField, type MethodContext, text } from './method-context.ts';
import type { SimOrder, SimProduct } from './orders.ts';
import { businessFailed, invalidArguments, type SimResult, success } from './results.ts';

/**
 * The methods that open a trade: precreate (QR), pay (payment code), create (JSAPI), and the
 * page/wap/app requests once the payer's browser or app brings them. A repeat with the same
 * out_trade_no and the same content is the same trade (safe client retries); other content is
 * refused, as a paid or closed trade is.
 */

const OUT_TRADE_NO = /^[A-Za-z0-9_-]{1,64}$/;
/** ALI_BAR under user_paying without resolve_after_ms: the payer takes this long to confirm. */
const DEFAULT_CONFIRMATION_MS = 10_000;

function fingerprintOf(biz: Readonly<Record<string, unknown>>): string {
  return JSON.stringify(
    Object.keys(biz)
      .sort()
      .map((key) => [key, biz[key]]),
  );
}

function masked(buyer_id: string): string {
  return `${buyer_id.slice(4, 7)}***@example.com`;
}

/** The existing trade's answer to a repeated open, or null when it is a fresh out_trade_no. */
function repeatAnswer(order: SimOrder, fingerprint: string): SimResult | null {
  if (order.status === 'TRADE_SUCCESS' || order.status === 'TRADE_FINISHED')
    return businessFailed('ACQ.TRADE_HAS_SUCCESS', '交易已被支付');
  if (order.status === 'TRADE_CLOSED') return businessFailed('ACQ.TRADE_HAS_CLOSE', '交易已经关闭');
  if (order.fingerprint !== fingerprint) return businessFailed('ACQ.CONTEXT_INCONSISTENT', '交易信息被篡改');
  return null;
}

export type Opened = { ok: true; order: SimOrder } | { ok: false; result: SimResult };

function refused(result: SimResult): Opened {
  return { ok: false, result };
}

/** Opens (or finds again) the trade `m.biz` describes; a SimResult when it cannot. */
export async function openTrade(m: MethodContext, product: SimProduct, buyer_id?: string): Promise<Opened> {
  const out_trade_no = text(m.biz, 'out_trade_no');
  if (out_trade_no === undefined || !OUT_TRADE_NO.test(out_trade_no))
    return refused(invalidArguments('isv.invalid-parameter', 'out_trade_no 参数无效'));
  const total_fen = amountField(m.biz, 'total_amount');
  if (typeof total_fen !== 'number') return refused(total_fen);
  const subject = text(m.biz, 'subject');
  if (subject === undefined) return refused(invalidArguments('isv.invalid-parameter', 'subject 不能为空'));
  const time_expire = text(m.biz, 'time_expire');
  const expire_at_ms = time_expire === undefined ? undefined : parseBeijingDateTime(time_expire);
  if (expire_at_ms === null)
    return refused(invalidArguments('isv.invalid-parameter', 'time_expire 格式错误'));

  const fingerprint = fingerprintOf(m.biz);
  const existing = m.core.orders.get(out_trade_no);
  if (existing) {
    if (existing.merchant_app_id !== m.caller.merchant_app_id)
      return refused(businessFailed('ACQ.CONTEXT_INCONSISTENT', '交易信息被篡改'));
    await m.core.refresh(existing);
    const repeat = repeatAnswer(existing, fingerprint);
    return repeat ? refused(repeat) : { ok: true, order: existing };
  }
  if (!m.core.orders.hasRoom()) return refused(businessFailed('ACQ.SYSTEM_ERROR', '系统错误'));
  const buyer = buyer_id ?? m.core.newBuyerId();
  const order: SimOrder = {
    app_id: m.caller.app.app_id,
    merchant_app_id: m.caller.merchant_app_id,
    seller_id: m.caller.seller_id,
    out_trade_no,
    trade_no: m.core.newTradeNo(),
    product,
    subject,
    total_fen,
    ...(m.caller.notify_url !== undefined ? { notify_url: m.caller.notify_url } : {}),
    ...(m.caller.return_url !== undefined ? { return_url: m.caller.return_url } : {}),
    ...(expire_at_ms !== undefined ? { expire_at_ms } : {}),
    fingerprint,
    created_at_ms: m.core.clock.now_ms(),
    status: 'WAIT_BUYER_PAY',
    buyer_id: buyer,
    buyer_logon_id: masked(buyer),
    refunds: new Map(),
    refunded_fen: 0,
  };
  if (product === 'precreate')
    order.qr_code = `https://qr.alipay.com/bax0${alphanumericNonce(m.core.random, 20)}`;
  m.core.orders.add(order);
  return { ok: true, order };
}

export async function precreate(m: MethodContext): Promise<SimResult> {
  const opened = await openTrade(m, 'precreate');
  if (!opened.ok) return opened.result;
  const order = opened.order;
  return success({ out_trade_no: order.out_trade_no, qr_code: order.qr_code });
}

export async function create(m: MethodContext): Promise<SimResult> {
  const buyer_id = text(m.biz, 'buyer_id');
  const open_id = text(m.biz, 'buyer_open_id');
  if ((buyer_id === undefined) === (open_id === undefined))
    return invalidArguments('isv.invalid-parameter', 'buyer_id 与 buyer_open_id 须且只须传一个');
  if (buyer_id !== undefined && !/^2088\d{12}$/.test(buyer_id))
    return businessFailed('ACQ.BUYER_NOT_EXIST', '买家不存在');
  const opened = await openTrade(m, 'create', buyer_id);
  if (!opened.ok) return opened.result;
  const order = opened.order;
  return success({ out_trade_no: order.out_trade_no, trade_no: order.trade_no });
}

function paidFields(order: SimOrder): Record<string, unknown> {
  const amount = amountOfFen(order.total_fen);
  return {
    trade_no: order.trade_no,
    out_trade_no: order.out_trade_no,
    buyer_logon_id: order.buyer_logon_id,
    total_amount: amount,
    receipt_amount: amount,
    buyer_pay_amount: amount,
    point_amount: '0.00',
    invoice_amount: amount,
    gmt_payment: order.paid_at_ms === undefined ? undefined : toBeijingDateTime(order.paid_at_ms),
    fund_bill_list: [{ fund_channel: 'ALIPAYACCOUNT', amount }],
    buyer_user_id: order.buyer_id,
  };
}

export async function pay(m: MethodContext): Promise<SimResult> {
  const scene = text(m.biz, 'scene');
  if (scene !== 'bar_code') return invalidArguments('isv.invalid-parameter', 'scene 参数无效');
  const auth_code = text(m.biz, 'auth_code');
  if (auth_code === undefined || classifyPaymentCode(auth_code) !== 'ALI_BAR')
    return businessFailed(
      'ACQ.PAYMENT_AUTH_CODE_INVALID',
      '支付失败，获取顾客账户信息失败，请顾客刷新付款码后重新收款',
    );
  const existing_before = text(m.biz, 'out_trade_no');
  const was_open = existing_before !== undefined && m.core.orders.get(existing_before) !== undefined;
  const opened = await openTrade(m, 'pay');
  if (!opened.ok) return opened.result;
  const order = opened.order;
  if (was_open) {
    // The same request again while the payer is still confirming.
    if (order.status === 'WAIT_BUYER_PAY') return inProcess(order);
    return businessFailed('ACQ.TRADE_HAS_SUCCESS', '交易已被支付');
  }
  const paying = m.faults.find((f) => f.kind === 'user_paying');
  if (paying) {
    m.core.awaitConfirmation(
      order,
      paying.resolve_after_ms ?? DEFAULT_CONFIRMATION_MS,
      paying.resolves_to ?? 'success',
    );
    return inProcess(order);
  }
  await m.core.markPaid(order);
  return success(paidFields(order));
}

function inProcess(order: SimOrder): SimResult {
  return {
    code: '10003',
    msg: ' order success pay inprocess',
    trade_no: order.trade_no,
    out_trade_no: order.out_trade_no,
    buyer_logon_id: order.buyer_logon_id,
    total_amount: amountOfFen(order.total_fen),
    receipt_amount: '0.00',
  };
}
