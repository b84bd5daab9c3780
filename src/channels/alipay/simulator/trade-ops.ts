import { toBeijingDateTime } from '../time.ts';
import { amountOfFen } from '../wire.ts';
import { findOrder, type MethodContext } from './method-context.ts';
import { businessFailed, missingArgument, type SimResult, success, TRADE_NOT_EXIST } from './results.ts';

/**
 * query, close and cancel on an existing trade (protocols.md §3.5). Cancel reverses whatever
 * state the trade is in: an unpaid trade is closed (action close), a paid one refunded in full
 * (action refund).
 */

function needsOrderId(m: MethodContext): SimResult | null {
  if (m.biz.out_trade_no === undefined && m.biz.trade_no === undefined)
    return missingArgument('isv.missing-parameter', 'out_trade_no 与 trade_no 不能同时为空');
  return null;
}

export async function query(m: MethodContext): Promise<SimResult> {
  const missing = needsOrderId(m);
  if (missing) return missing;
  const order = await findOrder(m);
  if (!order) return TRADE_NOT_EXIST;
  const paid = order.paid_at_ms !== undefined;
  const amount = amountOfFen(order.total_fen);
  return success({
    trade_no: order.trade_no,
    out_trade_no: order.out_trade_no,
    buyer_logon_id: order.buyer_logon_id,
    trade_status: order.status,
    total_amount: amount,
    buyer_pay_amount: paid ? amount : '0.00',
    point_amount: '0.00',
    invoice_amount: paid ? amount : '0.00',
    receipt_amount: paid ? amount : '0.00',
    send_pay_date: paid ? toBeijingDateTime(order.paid_at_ms!) : undefined,
    buyer_user_id: order.buyer_id,
  });
}

export async function close(m: MethodContext): Promise<SimResult> {
  const missing = needsOrderId(m);
  if (missing) return missing;
  const order = await findOrder(m);
  if (!order) return TRADE_NOT_EXIST;
  if (order.status !== 'WAIT_BUYER_PAY') return businessFailed('ACQ.TRADE_STATUS_ERROR', '交易状态不合法');
  m.core.cancelConfirmation(order);
  order.status = 'TRADE_CLOSED';
  return success({ trade_no: order.trade_no, out_trade_no: order.out_trade_no });
}

export async function cancel(m: MethodContext): Promise<SimResult> {
  const missing = needsOrderId(m);
  if (missing) return missing;
  const order = await findOrder(m);
  if (!order) return TRADE_NOT_EXIST;
  if (order.status === 'TRADE_FINISHED') return businessFailed('ACQ.TRADE_STATUS_ERROR', '交易状态不合法');
  const now_ms = m.core.clock.now_ms();
  if (order.status === 'WAIT_BUYER_PAY') {
    m.core.cancelConfirmation(order);
    order.status = 'TRADE_CLOSED';
    order.cancel_action = 'close';
  } else if (order.status === 'TRADE_SUCCESS') {
    order.status = 'TRADE_CLOSED';
    order.cancel_action = 'refund';
    order.refunded_fen = order.total_fen;
  }
  const action = order.cancel_action ?? 'close';
  return success({
    trade_no: order.trade_no,
    out_trade_no: order.out_trade_no,
    retry_flag: 'N',
    action,
    gmt_refund_pay: action === 'refund' ? toBeijingDateTime(now_ms) : undefined,
  });
}
