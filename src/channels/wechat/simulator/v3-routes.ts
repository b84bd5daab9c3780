import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { unixSeconds } from '../../../domain/clock.ts';
import { parseRfc3339 } from '../time.ts';
import { isRecord, parseJson } from '../wire.ts';
import { authenticate } from './auth.ts';
import type { SimCore } from './core.ts';
import type { SimMerchant } from './merchants.ts';
import { canonicalJson, type SimOrder, transactionOf } from './orders.ts';
import type { PlatformSigner } from './signer.ts';
import { checkPrepayBody } from './validate.ts';

/**
 * The WeChat Pay APIv3 endpoints the simulator plays (protocols.md §1.7, §1.8). Each request is
 * authenticated first (401 SIGN_ERROR), then validated, then served; every reply, errors included,
 * is signed with the platform key, as the real service does.
 */

interface Answer {
  status: number;
  /** null: empty body (204). */
  payload: object | null;
}

function error(status: number, code: string, message: string, detail?: object): Answer {
  return { status, payload: { code, message, ...(detail ? { detail } : {}) } };
}

function paramError(field: string, issue: string, location: 'body' | 'query' = 'body'): Answer {
  return error(400, 'PARAM_ERROR', '参数错误', { location, field, issue });
}

const ORDER_NOT_EXIST = error(404, 'ORDER_NOT_EXIST', '订单不存在');

/** Serialises once, signs those exact bytes, sends them. */
export async function sendSigned(
  reply: FastifyReply,
  signer: PlatformSigner,
  answer: Answer,
): Promise<FastifyReply> {
  const body = answer.payload === null ? '' : JSON.stringify(answer.payload);
  reply.code(answer.status).headers(await signer.headersFor(body));
  if (body !== '') reply.type('application/json; charset=utf-8');
  return reply.send(body);
}

type Handler = (merchant: SimMerchant, request: FastifyRequest, body: string) => Answer;

function signedRoute(core: SimCore, handler: Handler) {
  return async (request: FastifyRequest, reply: FastifyReply) => {
    const body = typeof request.body === 'string' ? request.body : '';
    const auth = authenticate(
      {
        authorization: request.headers.authorization,
        method: request.method,
        canonical_url: request.raw.url ?? request.url,
        body,
      },
      core.merchants,
      unixSeconds(core.clock),
    );
    if (!auth.ok)
      return sendSigned(
        reply,
        core.signer,
        error(401, 'SIGN_ERROR', '错误的签名，验签失败', { issue: auth.issue }),
      );
    return sendSigned(reply, core.signer, handler(auth.merchant, request, body));
  };
}

function prepayNative(core: SimCore, merchant: SimMerchant, body: string): Answer {
  const parsed = parseJson(body);
  if (parsed === undefined) return paramError('body', 'is not JSON');
  const checked = checkPrepayBody(parsed, core.clock.now_ms());
  if (!checked.ok) return paramError(checked.field, checked.issue);
  const request = checked.value;
  if (request.mchid !== merchant.mchid)
    return paramError('mchid', 'differs from the mchid that signed the request');
  if (request.appid !== merchant.appid) return error(400, 'APPID_MCHID_NOT_MATCH', 'appid和mch_id不匹配');
  const fingerprint = canonicalJson(parsed);
  if (fingerprint === null) return paramError('body', 'is nested too deeply');
  const existing = core.orders.get(request.out_trade_no);
  if (existing) {
    // Same out_trade_no and same request: the same order, answered again (safe client retries).
    if (existing.mchid !== merchant.mchid || existing.fingerprint !== fingerprint) {
      return error(403, 'OUT_TRADE_NO_USED', '商户订单号重复');
    }
    if (existing.trade_state === 'SUCCESS') return error(403, 'ORDERPAID', '该订单已支付');
    if (existing.trade_state === 'CLOSED') return error(400, 'ORDER_CLOSED', '订单已关闭');
    return { status: 200, payload: { code_url: existing.code_url } };
  }
  if (!core.orders.hasRoom()) return error(500, 'SYSTEM_ERROR', '系统错误');
  const order: SimOrder = {
    mchid: request.mchid,
    appid: request.appid,
    out_trade_no: request.out_trade_no,
    description: request.description,
    amount_total: request.amount.total,
    notify_url: request.notify_url,
    fingerprint,
    code_url: core.newCodeUrl(),
    created_at_ms: core.clock.now_ms(),
    trade_state: 'NOTPAY',
    ...(request.attach !== undefined ? { attach: request.attach } : {}),
    ...(request.scene_info ? { payer_client_ip: request.scene_info.payer_client_ip } : {}),
  };
  if (request.time_expire !== undefined) {
    order.time_expire = request.time_expire;
    // checkPrepayBody accepted it, so it parses.
    order.expire_at_ms = parseRfc3339(request.time_expire)!;
  }
  core.orders.add(order);
  return { status: 200, payload: { code_url: order.code_url } };
}

/** The `mchid` query parameter, which must name the merchant that signed. */
function queryMchid(request: FastifyRequest, merchant: SimMerchant): Answer | null {
  const query = request.query as Record<string, unknown>;
  const mchid = query.mchid;
  if (typeof mchid !== 'string' || mchid === '') return paramError('mchid', 'is required', 'query');
  if (mchid !== merchant.mchid)
    return paramError('mchid', 'differs from the mchid that signed the request', 'query');
  return null;
}

function answerOrder(order: SimOrder | undefined, merchant: SimMerchant): Answer {
  if (!order || order.mchid !== merchant.mchid) return ORDER_NOT_EXIST;
  return { status: 200, payload: transactionOf(order) };
}

function closeOrder(core: SimCore, merchant: SimMerchant, out_trade_no: string, body: string): Answer {
  const parsed = parseJson(body);
  if (!isRecord(parsed)) return paramError('body', 'is not a JSON object');
  if (typeof parsed.mchid !== 'string' || parsed.mchid === '') return paramError('mchid', 'is required');
  if (parsed.mchid !== merchant.mchid)
    return paramError('mchid', 'differs from the mchid that signed the request');
  const order = core.orders.get(out_trade_no);
  if (!order || order.mchid !== merchant.mchid) return ORDER_NOT_EXIST;
  if (order.trade_state === 'SUCCESS') return error(403, 'ORDERPAID', '该订单已支付');
  order.trade_state = 'CLOSED';
  return { status: 204, payload: null };
}

export function registerV3Routes(app: FastifyInstance, core: SimCore): void {
  app.post(
    '/v3/pay/transactions/native',
    signedRoute(core, (merchant, _request, body) => prepayNative(core, merchant, body)),
  );
  app.get(
    '/v3/pay/transactions/out-trade-no/:out_trade_no',
    signedRoute(core, (merchant, request) => {
      const { out_trade_no } = request.params as { out_trade_no: string };
      return queryMchid(request, merchant) ?? answerOrder(core.orders.get(out_trade_no), merchant);
    }),
  );
  app.get(
    '/v3/pay/transactions/id/:transaction_id',
    signedRoute(core, (merchant, request) => {
      const { transaction_id } = request.params as { transaction_id: string };
      return (
        queryMchid(request, merchant) ?? answerOrder(core.orders.byTransactionId(transaction_id), merchant)
      );
    }),
  );
  app.post(
    '/v3/pay/transactions/out-trade-no/:out_trade_no/close',
    signedRoute(core, (merchant, request, body) => {
      const { out_trade_no } = request.params as { out_trade_no: string };
      return closeOrder(core, merchant, out_trade_no, body);
    }),
  );
}
