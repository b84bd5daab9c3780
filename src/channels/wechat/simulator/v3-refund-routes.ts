import type { FastifyInstance, FastifyRequest } from 'fastify';
import { toRfc3339Beijing } from '../time.ts';
import { isRecord, parseJson } from '../wire.ts';
import {
  type Answer,
  error,
  outTradeNoInBody,
  paramError,
  type RouteContext,
  signedRoute,
} from './answers.ts';
import { REFUND_SETTLE_MS, type SimCore } from './core.ts';
import { canonicalJson, isPaid } from './orders.ts';
import { NO_AUTH, ownsOrder, queryOf, subMerchantOf } from './pay-ids.ts';
import { refundReplyOf, type SimRefund } from './refunds.ts';
import { checkNotifyUrl } from './validate.ts';

/**
 * Refunds (protocols.md §1.7): POST /v3/refund/domestic/refunds and GET …/{out_refund_no}, for
 * direct merchants and (with sub_mchid) service providers. The same out_refund_no with the same
 * request is the same refund; partial refunds add up to at most the order total.
 */
const OUT_REFUND_NO = /^[0-9A-Za-z_\-*@|]{1,64}$/;
const RESOURCE_NOT_EXISTS = error(404, 'RESOURCE_NOT_EXISTS', '订单不存在');

/** The sub-merchant a partner names (body or query); undefined for a direct merchant. */
function subOf(
  route: RouteContext,
  value: unknown,
): { ok: true; sub?: string } | { ok: false; answer: Answer } {
  const sub = isRecord(value) ? value.sub_mchid : undefined;
  if (route.merchant.sub_merchants.length === 0) {
    if (sub !== undefined) return { ok: false, answer: NO_AUTH };
    return { ok: true };
  }
  if (sub === undefined) return { ok: true };
  if (typeof sub !== 'string' || !subMerchantOf(route.merchant, sub)) return { ok: false, answer: NO_AUTH };
  return { ok: true, sub };
}

function createRefund(core: SimCore, route: RouteContext): Answer {
  const parsed = parseJson(route.body);
  if (!isRecord(parsed)) return paramError('body', 'is not a JSON object');
  const sub = subOf(route, parsed);
  if (!sub.ok) return sub.answer;
  const { out_refund_no, out_trade_no, transaction_id, amount, reason } = parsed;
  if (typeof out_refund_no !== 'string' || !OUT_REFUND_NO.test(out_refund_no))
    return paramError('out_refund_no', 'must be 1 to 64 characters of [0-9A-Za-z_-|*@]');
  if (typeof out_trade_no !== 'string' && typeof transaction_id !== 'string')
    return paramError('out_trade_no', 'out_trade_no or transaction_id is required');
  if (!isRecord(amount)) return paramError('amount', 'must be an object');
  const refund_fen = amount.refund;
  const total_fen = amount.total;
  if (typeof refund_fen !== 'number' || !Number.isSafeInteger(refund_fen) || refund_fen < 1)
    return paramError('amount.refund', 'must be a whole number of fen, at least 1');
  if (typeof total_fen !== 'number' || !Number.isSafeInteger(total_fen) || total_fen < 1)
    return paramError('amount.total', 'must be a whole number of fen, at least 1');
  if (amount.currency !== 'CNY') return paramError('amount.currency', 'must be CNY');
  let notify_url: string | undefined;
  if (parsed.notify_url !== undefined) {
    const checked = checkNotifyUrl(parsed.notify_url);
    if (checked === null) return paramError('notify_url', 'must be an absolute URL without query string');
    notify_url = checked;
  }
  const order =
    typeof out_trade_no === 'string'
      ? core.orders.get(out_trade_no)
      : core.orders.byTransactionId(transaction_id as string);
  if (!ownsOrder(order, route.merchant, sub.sub)) return RESOURCE_NOT_EXISTS;
  core.resolveOrder(order);
  const fingerprint = canonicalJson(parsed);
  if (fingerprint === null) return paramError('body', 'is nested too deeply');
  const existing = core.refunds.get(out_refund_no);
  if (existing) {
    // The same refund asked again is answered again; another request under its number is refused.
    if (existing.fingerprint !== fingerprint || existing.out_trade_no !== order.out_trade_no)
      return error(400, 'INVALID_REQUEST', '退款单号已被使用，且请求参数不一致');
    core.resolveRefund(existing);
    return { status: 200, payload: refundReplyOf(existing) };
  }
  if (!isPaid(order)) return error(400, 'INVALID_REQUEST', '订单未支付，不能退款');
  if (total_fen !== order.amount_total) return paramError('amount.total', 'differs from the order total');
  if (refund_fen > order.amount_total - order.refunded_fen)
    return error(400, 'INVALID_REQUEST', '申请退款金额超过订单可退金额');
  if (!core.refunds.hasRoom()) return error(500, 'SYSTEM_ERROR', '系统错误');
  const now_ms = core.clock.now_ms();
  const refund: SimRefund = {
    refund_id: core.newRefundId(),
    out_refund_no,
    out_trade_no: order.out_trade_no,
    transaction_id: order.transaction_id!,
    mchid: order.mchid,
    ...(order.sub_mchid !== undefined ? { sub_mchid: order.sub_mchid } : {}),
    amount_refund: refund_fen,
    amount_total: order.amount_total,
    status: 'PROCESSING',
    create_time: toRfc3339Beijing(now_ms),
    created_at_ms: now_ms,
    settle_at_ms: now_ms + REFUND_SETTLE_MS,
    ...(notify_url !== undefined ? { notify_url } : {}),
    ...(typeof reason === 'string' ? { reason } : {}),
    fingerprint,
  };
  core.addRefund(refund, order);
  return { status: 200, payload: refundReplyOf(refund) };
}

function queryRefund(core: SimCore, route: RouteContext): Answer {
  const { out_refund_no } = route.request.params as { out_refund_no: string };
  const sub = subOf(route, queryOf(route.request));
  if (!sub.ok) return sub.answer;
  const refund = core.refunds.get(out_refund_no);
  if (!refund || refund.mchid !== route.merchant.mchid || refund.sub_mchid !== sub.sub)
    return RESOURCE_NOT_EXISTS;
  core.resolveRefund(refund);
  return { status: 200, payload: refundReplyOf(refund) };
}

function refundOrderOf(core: SimCore) {
  return (request: FastifyRequest): string | undefined => {
    const { out_refund_no } = request.params as { out_refund_no: string };
    return core.refunds.get(out_refund_no)?.out_trade_no;
  };
}

export function registerRefundRoutes(app: FastifyInstance, core: SimCore): void {
  app.post(
    '/v3/refund/domestic/refunds',
    signedRoute(core, {
      operation: 'refund',
      orderOf: outTradeNoInBody,
      handler: (route) => createRefund(core, route),
    }),
  );
  app.get(
    '/v3/refund/domestic/refunds/:out_refund_no',
    signedRoute(core, {
      operation: 'refund_query',
      orderOf: refundOrderOf(core),
      handler: (route) => queryRefund(core, route),
    }),
  );
}
