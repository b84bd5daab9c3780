import { toBeijingDateTime } from '../time.ts';
import { amountOfFen } from '../wire.ts';
import { amountField, findOrder, type MethodContext, text } from './method-context.ts';
import { REFUNDS_PER_ORDER_MAX } from './orders.ts';
import { businessFailed, missingArgument, type SimResult, success, TRADE_NOT_EXIST } from './results.ts';

/**
 * trade.refund and fastpay.refund.query (protocols.md §3.5). out_request_no is the idempotency
 * key: the same request again changes nothing and says fund_change=N; the same key with another
 * amount is refused. Refunds here succeed at once, as Alipay's do for balance payments.
 */

export async function refund(m: MethodContext): Promise<SimResult> {
  const amount_fen = amountField(m.biz, 'refund_amount');
  if (typeof amount_fen !== 'number') return amount_fen;
  if (m.biz.out_trade_no === undefined && m.biz.trade_no === undefined)
    return missingArgument('isv.missing-parameter', 'out_trade_no 与 trade_no 不能同时为空');
  const order = await findOrder(m);
  if (!order) return TRADE_NOT_EXIST;
  const out_request_no = text(m.biz, 'out_request_no') ?? order.out_trade_no;
  const reply = (fund_change: 'Y' | 'N', at_ms: number) =>
    success({
      trade_no: order.trade_no,
      out_trade_no: order.out_trade_no,
      buyer_logon_id: order.buyer_logon_id,
      fund_change,
      refund_fee: amountOfFen(order.refunded_fen),
      gmt_refund_pay: toBeijingDateTime(at_ms),
      buyer_user_id: order.buyer_id,
    });
  const earlier = order.refunds.get(out_request_no);
  if (earlier) {
    if (earlier.amount_fen !== amount_fen)
      return businessFailed('ACQ.REASON_TRADE_REFUND_FEE_ERR', '退款金额无效');
    return reply('N', earlier.at_ms);
  }
  if (order.status === 'TRADE_FINISHED') return businessFailed('ACQ.TRADE_HAS_FINISHED', '交易已完结');
  if (order.status !== 'TRADE_SUCCESS') return businessFailed('ACQ.TRADE_STATUS_ERROR', '交易状态不合法');
  if (order.refunded_fen + amount_fen > order.total_fen)
    return businessFailed('ACQ.REFUND_AMT_NOT_EQUAL_TOTAL', '退款金额超限');
  if (order.refunds.size >= REFUNDS_PER_ORDER_MAX)
    return businessFailed('ACQ.REFUND_TIMES_EXCEED', '退款次数超限');
  const at_ms = m.core.clock.now_ms();
  const reason = text(m.biz, 'refund_reason');
  order.refunds.set(out_request_no, { out_request_no, amount_fen, at_ms, ...(reason ? { reason } : {}) });
  order.refunded_fen += amount_fen;
  if (order.refunded_fen === order.total_fen) order.status = 'TRADE_CLOSED';
  return reply('Y', at_ms);
}

export async function refundQuery(m: MethodContext): Promise<SimResult> {
  const out_request_no = text(m.biz, 'out_request_no');
  if (out_request_no === undefined)
    return missingArgument('isv.missing-parameter', 'out_request_no 不能为空');
  if (m.biz.out_trade_no === undefined && m.biz.trade_no === undefined)
    return missingArgument('isv.missing-parameter', 'out_trade_no 与 trade_no 不能同时为空');
  const order = await findOrder(m);
  if (!order) return TRADE_NOT_EXIST;
  const found = order.refunds.get(out_request_no);
  // Not received (or failed): Alipay answers 10000 without refund_status.
  if (!found) return success({ trade_no: order.trade_no, out_trade_no: order.out_trade_no });
  const options = Array.isArray(m.biz.query_options) ? m.biz.query_options : [];
  return success({
    trade_no: order.trade_no,
    out_trade_no: order.out_trade_no,
    out_request_no,
    total_amount: amountOfFen(order.total_fen),
    refund_amount: amountOfFen(found.amount_fen),
    refund_status: 'REFUND_SUCCESS',
    gmt_refund_pay: options.includes('gmt_refund_pay') ? toBeijingDateTime(found.at_ms) : undefined,
  });
}
