import type { FastifyInstance } from 'fastify';
import { parseJson } from '../wire.ts';
import {
  type Answer,
  error,
  ORDER_NOT_EXIST,
  outTradeNoInBody,
  outTradeNoInPath,
  paramError,
  type RouteContext,
  signedRoute,
} from './answers.ts';
import type { SimCore } from './core.ts';
import { canonicalJson, isPaid, type SimOrder, type SimTradeType, transactionOf } from './orders.ts';
import { checkPayIds, namedIds, ownsOrder, queryOf } from './pay-ids.ts';
import { checkPayBody } from './validate.ts';

/**
 * The WeChat Pay APIv3 payment endpoints the simulator plays (protocols.md §1.7, §1.8), direct
 * (/v3/pay/transactions/…) and service provider (/v3/pay/partner/transactions/…): prepay for
 * Native, JSAPI, App and H5, code pay, query by out_trade_no and transaction_id, close, reverse.
 */
export { sendSigned } from './answers.ts';

const PREPAY_TYPES: ReadonlyArray<[string, SimTradeType]> = [
  ['native', 'NATIVE'],
  ['jsapi', 'JSAPI'],
  ['app', 'APP'],
  ['h5', 'MWEB'],
];

function credentialOf(order: SimOrder): object {
  if (order.trade_type === 'NATIVE') return { code_url: order.code_url };
  if (order.trade_type === 'MWEB') return { h5_url: order.h5_url };
  return { prepay_id: order.prepay_id };
}

function newOrder(
  core: SimCore,
  trade_type: SimTradeType,
  checked: ReturnType<typeof checkPayBody>,
  fingerprint: string,
): SimOrder {
  if (!checked.ok) throw new Error('unchecked request');
  const request = checked.value;
  const order: SimOrder = {
    ...request.ids,
    trade_type,
    out_trade_no: request.out_trade_no,
    description: request.description,
    amount_total: request.amount_total,
    notify_url: request.notify_url,
    fingerprint,
    code_url: trade_type === 'NATIVE' ? core.newCodeUrl() : '',
    created_at_ms: core.clock.now_ms(),
    trade_state: 'NOTPAY',
    refunded_fen: 0,
    ...(request.time_expire !== undefined
      ? { time_expire: request.time_expire, expire_at_ms: request.expire_at_ms! }
      : {}),
    ...(request.attach !== undefined ? { attach: request.attach } : {}),
    ...(request.payer_client_ip !== undefined ? { payer_client_ip: request.payer_client_ip } : {}),
    ...(request.payer !== undefined ? { payer: request.payer } : {}),
  };
  if (trade_type === 'JSAPI' || trade_type === 'APP' || trade_type === 'MWEB')
    order.prepay_id = core.newPrepayId();
  if (trade_type === 'MWEB') {
    const pkg = [...core.random.bytes(5)].map((b) => String(b % 10)).join('');
    order.h5_url = `https://wx.tenpay.com/cgi-bin/mmpayweb-bin/checkmweb?prepay_id=${order.prepay_id}&package=${pkg}`;
  }
  return order;
}

/** Shared by prepay and code pay: parse, check, and find or refuse a repeat. */
function admit(
  core: SimCore,
  route: RouteContext,
  trade_type: SimTradeType,
  partner: boolean,
):
  | { kind: 'answer'; answer: Answer }
  | { kind: 'existing'; order: SimOrder }
  | { kind: 'new'; order: SimOrder } {
  const parsed = parseJson(route.body);
  if (parsed === undefined) return { kind: 'answer', answer: paramError('body', 'is not JSON') };
  const checked = checkPayBody(parsed, core.clock.now_ms(), partner, trade_type);
  if (!checked.ok) return { kind: 'answer', answer: paramError(checked.field, checked.issue) };
  const refused = checkPayIds(route.merchant, checked.value.ids, partner);
  if (refused) return { kind: 'answer', answer: refused };
  const fingerprint = canonicalJson(parsed);
  if (fingerprint === null) return { kind: 'answer', answer: paramError('body', 'is nested too deeply') };
  const existing = core.orders.get(checked.value.out_trade_no);
  if (existing) {
    // Same out_trade_no and same request: the same order, answered again (safe client retries).
    if (existing.mchid !== route.merchant.mchid || existing.fingerprint !== fingerprint)
      return { kind: 'answer', answer: error(403, 'OUT_TRADE_NO_USED', '商户订单号重复') };
    return { kind: 'existing', order: existing };
  }
  if (!core.orders.hasRoom()) return { kind: 'answer', answer: error(500, 'SYSTEM_ERROR', '系统错误') };
  return { kind: 'new', order: newOrder(core, trade_type, checked, fingerprint) };
}

function prepay(core: SimCore, route: RouteContext, trade_type: SimTradeType, partner: boolean): Answer {
  const admitted = admit(core, route, trade_type, partner);
  if (admitted.kind === 'answer') return admitted.answer;
  const order = admitted.order;
  if (admitted.kind === 'existing') {
    if (isPaid(order)) return error(403, 'ORDERPAID', '该订单已支付');
    if (order.trade_state !== 'NOTPAY') return error(400, 'ORDER_CLOSED', '订单已关闭');
  } else {
    core.orders.add(order);
  }
  return { status: 200, payload: credentialOf(order) };
}

function codepay(core: SimCore, route: RouteContext, partner: boolean): Answer {
  const admitted = admit(core, route, 'MICROPAY', partner);
  if (admitted.kind === 'answer') return admitted.answer;
  const order = admitted.order;
  if (admitted.kind === 'new') {
    core.orders.add(order);
    const user_paying = route.faults.find((rule) => rule.kind === 'user_paying');
    if (user_paying) core.startUserPaying(order, user_paying);
    else core.payNow(order);
  } else {
    core.resolveOrder(order);
  }
  return { status: 200, payload: transactionOf(order) };
}

function query(
  core: SimCore,
  route: RouteContext,
  partner: boolean,
  find: (key: string) => SimOrder | undefined,
  key: string,
): Answer {
  const named = namedIds(queryOf(route.request), route.merchant, partner, 'query');
  if (!named.ok) return named.answer;
  const order = find(key);
  if (!ownsOrder(order, route.merchant, named.sub_mchid)) return ORDER_NOT_EXIST;
  core.resolveOrder(order);
  return { status: 200, payload: transactionOf(order) };
}

function close(core: SimCore, route: RouteContext, partner: boolean, out_trade_no: string): Answer {
  const parsed = parseJson(route.body);
  if (parsed === undefined) return paramError('body', 'is not a JSON object');
  const named = namedIds(parsed, route.merchant, partner, 'body');
  if (!named.ok) return named.answer;
  const order = core.orders.get(out_trade_no);
  if (!ownsOrder(order, route.merchant, named.sub_mchid)) return ORDER_NOT_EXIST;
  core.resolveOrder(order);
  if (isPaid(order)) return error(403, 'ORDERPAID', '该订单已支付');
  order.trade_state = order.trade_state === 'REVOKED' ? 'REVOKED' : 'CLOSED';
  return { status: 204, payload: null };
}

function reverse(core: SimCore, route: RouteContext, partner: boolean, out_trade_no: string): Answer {
  const parsed = parseJson(route.body);
  if (parsed === undefined) return paramError('body', 'is not a JSON object');
  const named = namedIds(parsed, route.merchant, partner, 'body');
  if (!named.ok) return named.answer;
  const order = core.orders.get(out_trade_no);
  if (!ownsOrder(order, route.merchant, named.sub_mchid)) return ORDER_NOT_EXIST;
  if (order.trade_type !== 'MICROPAY') return error(400, 'INVALID_REQUEST', '非付款码订单不能撤销');
  core.resolveOrder(order);
  if (order.refunded_fen > 0) return error(400, 'INVALID_REQUEST', '订单已退款，不能撤销');
  core.reverse(order);
  return { status: 204, payload: null };
}

export function registerV3Routes(app: FastifyInstance, core: SimCore): void {
  for (const partner of [false, true]) {
    const base = partner ? '/v3/pay/partner/transactions' : '/v3/pay/transactions';
    for (const [suffix, trade_type] of PREPAY_TYPES) {
      app.post(
        `${base}/${suffix}`,
        signedRoute(core, {
          operation: 'create',
          orderOf: outTradeNoInBody,
          handler: (route) => prepay(core, route, trade_type, partner),
        }),
      );
    }
    app.post(
      `${base}/codepay`,
      signedRoute(core, {
        operation: 'create',
        orderOf: outTradeNoInBody,
        handler: (route) => codepay(core, route, partner),
      }),
    );
    app.get(
      `${base}/out-trade-no/:out_trade_no`,
      signedRoute(core, {
        operation: 'query',
        orderOf: outTradeNoInPath,
        handler: (route) =>
          query(core, route, partner, (no) => core.orders.get(no), outTradeNoInPath(route.request)!),
      }),
    );
    app.get(
      `${base}/id/:transaction_id`,
      signedRoute(core, {
        operation: 'query',
        handler: (route) => {
          const { transaction_id } = route.request.params as { transaction_id: string };
          return query(core, route, partner, (id) => core.orders.byTransactionId(id), transaction_id);
        },
      }),
    );
    app.post(
      `${base}/out-trade-no/:out_trade_no/close`,
      signedRoute(core, {
        operation: 'close',
        orderOf: outTradeNoInPath,
        handler: (route) => close(core, route, partner, outTradeNoInPath(route.request)!),
      }),
    );
    app.post(
      `${base}/out-trade-no/:out_trade_no/reverse`,
      signedRoute(core, {
        operation: 'reverse',
        orderOf: outTradeNoInPath,
        handler: (route) => reverse(core, route, partner, outTradeNoInPath(route.request)!),
      }),
    );
  }
}
