import { isIP } from 'node:net';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { classifyPaymentCode } from '../../../domain/payment-code.ts';
import { alphanumericNonce } from '../../../domain/random.ts';
import type { FaultRule } from '../../simulator-kit/faults.ts';
import { type V2SignType, v2Sign } from '../crypto.ts';
import { toBeijingCompact } from '../time.ts';
import { v2SignMatches } from '../v2-transport.ts';
import { buildV2Xml, parseV2Xml, V2XmlError } from '../xml.ts';
import type { SimCore } from './core.ts';
import type { SimMerchant } from './merchants.ts';
import { isPaid, type SimOrder } from './orders.ts';
import { subMerchantOf } from './pay-ids.ts';

/**
 * The APIv2 payment-code endpoints (protocols.md §2): /pay/micropay, /pay/orderquery and
 * /secapi/pay/reverse, in XML. The body is read with the same strict reader as the adapter's (no
 * DOCTYPE, no entities), the sign checked before anything else is looked at, and replies signed
 * with the sign type of the request. Communication failures (bad XML, bad sign, unknown merchant)
 * answer return_code FAIL unsigned, as WeChat does.
 *
 * Deviation: /secapi needs the merchant's client certificate (mutual TLS) at WeChat; the simulator
 * listens on plain loopback HTTP and does not check one.
 */
type Fields = Record<string, string>;
type Result = Record<string, string | undefined>;

interface V2Context {
  merchant: SimMerchant;
  fields: Fields;
  sign_type: V2SignType;
  faults: readonly FaultRule[];
}

const OUT_TRADE_NO = /^[0-9A-Za-z_\-*|]{6,32}$/;
const HANG_MAX_MS = 120_000;

function fail(reply: FastifyReply, message: string) {
  return reply
    .code(200)
    .type('text/xml; charset=utf-8')
    .send(buildV2Xml({ return_code: 'FAIL', return_msg: message }));
}

function businessFail(code: string, description: string, extra: Result = {}): Result {
  return { result_code: 'FAIL', err_code: code, err_code_des: description, ...extra };
}

/** The request without the fields that change on each try: what makes a repeat "the same request". */
function fingerprintOf(fields: Fields): string {
  return JSON.stringify(
    Object.keys(fields)
      .filter((name) => !['nonce_str', 'sign', 'sign_type'].includes(name))
      .sort()
      .map((name) => [name, fields[name]]),
  );
}

/** Null when appid, sub_mch_id and sub_appid are the signer's; otherwise the business failure. */
function idsProblem(ctx: V2Context): Result | null {
  const { merchant, fields } = ctx;
  if (fields.appid !== merchant.appid) return businessFail('APPID_MCHID_NOT_MATCH', 'appid和mch_id不匹配');
  if (fields.sub_mch_id === undefined) return null;
  const sub = subMerchantOf(merchant, fields.sub_mch_id);
  if (!sub) return businessFail('NOAUTH', '服务商与子商户无受理关系');
  if (fields.sub_appid !== undefined && fields.sub_appid !== sub.sub_appid)
    return businessFail('APPID_MCHID_NOT_MATCH', 'sub_appid和sub_mch_id不匹配');
  return null;
}

function owned(core: SimCore, ctx: V2Context): SimOrder | undefined {
  const order = core.orders.get(ctx.fields.out_trade_no ?? '');
  if (!order || order.mchid !== ctx.merchant.mchid || order.sub_mchid !== ctx.fields.sub_mch_id)
    return undefined;
  return order;
}

function paidFields(order: SimOrder): Result {
  return {
    result_code: 'SUCCESS',
    openid: order.openid,
    is_subscribe: 'N',
    trade_type: 'MICROPAY',
    bank_type: 'OTHERS',
    fee_type: 'CNY',
    total_fee: String(order.amount_total),
    cash_fee: String(order.amount_total),
    transaction_id: order.transaction_id,
    out_trade_no: order.out_trade_no,
    time_end: toBeijingCompact(order.success_at_ms!),
  };
}

function micropayStateOf(order: SimOrder): Result {
  if (isPaid(order)) return paidFields(order);
  switch (order.trade_state) {
    case 'USERPAYING':
      return businessFail('USERPAYING', '需要用户输入支付密码');
    case 'REVOKED':
      return businessFail('ORDERREVERSED', '订单已撤销');
    case 'CLOSED':
      return businessFail('ORDERCLOSED', '订单已关闭');
    default:
      return businessFail('TRADE_ERROR', '支付失败');
  }
}

function micropay(core: SimCore, ctx: V2Context): Result {
  const f = ctx.fields;
  if (ctx.faults.some((rule) => rule.kind === 'system_error')) return businessFail('SYSTEMERROR', '系统超时');
  const ids = idsProblem(ctx);
  if (ids) return ids;
  const body = f.body ?? '';
  if (body === '' || [...body].length > 128) return businessFail('PARAM_ERROR', 'body 长度 1 到 128');
  if (!OUT_TRADE_NO.test(f.out_trade_no ?? '')) return businessFail('PARAM_ERROR', 'out_trade_no 格式错误');
  if (!/^[1-9]\d{0,11}$/.test(f.total_fee ?? '')) return businessFail('PARAM_ERROR', 'total_fee 格式错误');
  if (isIP(f.spbill_create_ip ?? '') === 0) return businessFail('PARAM_ERROR', 'spbill_create_ip 格式错误');
  if (classifyPaymentCode(f.auth_code ?? '') !== 'WX_BAR')
    return businessFail('AUTH_CODE_INVALID', '付款码无效');
  const fingerprint = fingerprintOf(f);
  const existing = core.orders.get(f.out_trade_no!);
  if (existing) {
    // A retried micropay (same out_trade_no, same code) is the same order; anything else is a clash.
    if (existing.mchid !== ctx.merchant.mchid || existing.fingerprint !== fingerprint)
      return businessFail('OUT_TRADE_NO_USED', '商户订单号重复');
    core.resolveOrder(existing);
    return micropayStateOf(existing);
  }
  if (!core.orders.hasRoom()) return businessFail('SYSTEMERROR', '系统超时');
  const order: SimOrder = {
    mchid: ctx.merchant.mchid,
    appid: ctx.merchant.appid,
    ...(f.sub_mch_id !== undefined ? { sub_mchid: f.sub_mch_id } : {}),
    ...(f.sub_appid !== undefined ? { sub_appid: f.sub_appid } : {}),
    trade_type: 'MICROPAY',
    out_trade_no: f.out_trade_no!,
    description: body,
    amount_total: Number(f.total_fee),
    notify_url: '',
    fingerprint,
    code_url: '',
    created_at_ms: core.clock.now_ms(),
    trade_state: 'NOTPAY',
    refunded_fen: 0,
    payer_client_ip: f.spbill_create_ip!,
  };
  core.orders.add(order);
  const user_paying = ctx.faults.find((rule) => rule.kind === 'user_paying');
  if (user_paying) core.startUserPaying(order, user_paying);
  else core.payNow(order);
  return micropayStateOf(order);
}

function orderquery(core: SimCore, ctx: V2Context): Result {
  if (ctx.faults.some((rule) => rule.kind === 'system_error')) return businessFail('SYSTEMERROR', '系统错误');
  const ids = idsProblem(ctx);
  if (ids) return ids;
  const order = owned(core, ctx);
  if (!order) return businessFail('ORDERNOTEXIST', '此交易订单号不存在');
  core.resolveOrder(order);
  return {
    result_code: 'SUCCESS',
    out_trade_no: order.out_trade_no,
    trade_state: order.trade_state,
    total_fee: String(order.amount_total),
    ...(order.transaction_id !== undefined ? { transaction_id: order.transaction_id } : {}),
    ...(isPaid(order) ? { time_end: toBeijingCompact(order.success_at_ms!), openid: order.openid } : {}),
  };
}

function reverse(core: SimCore, ctx: V2Context): Result {
  // SYSTEMERROR with recall=Y: WeChat could not finish and asks for the same reverse again.
  if (ctx.faults.some((rule) => rule.kind === 'system_error'))
    return businessFail('SYSTEMERROR', '系统超时', { recall: 'Y' });
  const ids = idsProblem(ctx);
  if (ids) return { ...ids, recall: 'N' };
  const order = owned(core, ctx);
  if (!order) return businessFail('ORDERNOTEXIST', '订单不存在', { recall: 'N' });
  core.resolveOrder(order);
  if (order.refunded_fen > 0) return businessFail('REVERSE_EXPIRE', '订单已退款，不能撤销', { recall: 'N' });
  core.reverse(order);
  return { result_code: 'SUCCESS', recall: 'N' };
}

type V2Handler = (core: SimCore, ctx: V2Context) => Result;

function v2Route(core: SimCore, operation: string, handler: V2Handler) {
  return async (request: FastifyRequest, reply: FastifyReply) => {
    const body = typeof request.body === 'string' ? request.body : '';
    let fields: Fields;
    try {
      fields = parseV2Xml(body);
    } catch (error) {
      if (error instanceof V2XmlError) return fail(reply, 'XML格式错误');
      throw error;
    }
    const merchant = core.merchants.get(fields.mch_id ?? '');
    if (!merchant || merchant.api_v2_key === undefined) return fail(reply, 'mch_id参数格式错误');
    const sign_type = fields.sign_type ?? 'MD5';
    if (sign_type !== 'MD5' && sign_type !== 'HMAC-SHA256') return fail(reply, 'sign_type参数格式错误');
    if (fields.nonce_str === undefined || fields.nonce_str.length > 32)
      return fail(reply, 'nonce_str参数格式错误');
    if (!v2SignMatches(fields, merchant.api_v2_key, sign_type)) return fail(reply, '签名错误');
    const faults = core.faults.take(operation, fields.out_trade_no);
    const latency = faults.find((rule) => rule.kind === 'latency_ms');
    if (latency) await core.delay(latency.latency_ms ?? 0);
    const result = handler(core, { merchant, fields, sign_type, faults });
    if (faults.some((rule) => rule.kind === 'timeout')) {
      reply.hijack();
      const socket = request.raw.socket;
      setTimeout(() => socket.destroy(), HANG_MAX_MS).unref();
      return reply;
    }
    if (faults.some((rule) => rule.kind === 'http_500'))
      return reply.code(500).type('text/html').send('<html>500</html>');
    const answer: Record<string, string | undefined> = {
      return_code: 'SUCCESS',
      return_msg: 'OK',
      appid: fields.appid,
      mch_id: merchant.mchid,
      sub_appid: fields.sub_appid,
      sub_mch_id: fields.sub_mch_id,
      nonce_str: alphanumericNonce(core.random, 32),
      ...result,
    };
    answer.sign = v2Sign(answer, merchant.api_v2_key, sign_type);
    return reply.code(200).type('text/xml; charset=utf-8').send(buildV2Xml(answer));
  };
}

export function registerV2Routes(app: FastifyInstance, core: SimCore): void {
  app.post('/pay/micropay', v2Route(core, 'create', micropay));
  app.post('/pay/orderquery', v2Route(core, 'query', orderquery));
  app.post('/secapi/pay/reverse', v2Route(core, 'reverse', reverse));
}
