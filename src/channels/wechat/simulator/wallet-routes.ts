import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { alphanumericNonce } from '../../../domain/random.ts';
import { checkoutRoutes, foundOrNotFound, type OrderView } from '../../simulator-kit/checkout-routes.ts';
import { OneTimeCodes, redirectTarget, withQuery } from '../../simulator-kit/one-time-codes.ts';
import {
  bridgeScript,
  errorPage,
  originOf,
  payerOf,
  queryOf,
  redirect,
  sendHtml,
  sendScript,
  stableId,
  WECHAT_THEME,
} from '../../simulator-kit/wallet-page.ts';
import { verifySha256Rsa } from '../crypto.ts';
import type { SimCore } from './core.ts';
import type { SimOrder } from './orders.ts';

/**
 * The payer's side of WeChat, played in a browser:
 *
 * - web-page OAuth2 (网页授权): GET /connect/oauth2/authorize sends the payer straight back to
 *   redirect_uri with `code` and `state` (snsapi_base is silent), the code put before any `#`;
 *   GET /sns/oauth2/access_token exchanges it once (5 minutes, bound to the appid, AppSecret
 *   checked) for the openid. Each payer has one stable openid per appid. A `deny_authorization`
 *   fault (operation "authorize") sends the payer back with `state` only, as WeChat does when
 *   the user refuses.
 * - the wallet: /sim/wallet/scan (what WeChat shows after scanning a Native code_url),
 *   /sim/wallet/bridge.js (WeixinJSBridge for JSAPI pages) and /sim/wallet/jsapi (the payment
 *   sheet getBrandWCPayRequest opens; paySign checked with the merchant's key).
 */

/** WeChat's OAuth code lives 5 minutes. */
export const OAUTH_CODE_TTL_MS = 5 * 60_000;
const ACCESS_TOKEN_TTL_S = 7200;
const OPENID_CHARS = 27;

interface OAuthGrant {
  appid: string;
  openid: string;
  scope: string;
}

/** A payer's openid under an appid: `o` + 27 characters, stable for the pair. */
export function simOpenid(appid: string, payer: string): string {
  return `o${stableId(['wechat-openid', appid, payer], OPENID_CHARS)}`;
}

function newPayer(core: SimCore): string {
  return `payer-${alphanumericNonce(core.random, 12)}`;
}

function sendErr(reply: FastifyReply, errcode: number, errmsg: string): FastifyReply {
  return reply
    .code(200)
    .type('application/json; encoding=utf-8')
    .send({ errcode, errmsg: `${errmsg}, rid: ${Date.now().toString(16)}` });
}

function clientAppidOf(order: SimOrder): string {
  return order.sub_appid ?? order.appid;
}

/** Unpaid and payable, or the reason it is not (for the error page). */
function unpayable(core: SimCore, order: SimOrder | undefined): [string, string] | null {
  if (!order) return ['订单不存在', 'No such order'];
  core.resolveOrder(order);
  if (order.trade_state === 'SUCCESS' || order.trade_state === 'REFUND')
    return ['该订单已支付', 'This order is already paid'];
  if (order.trade_state !== 'NOTPAY') return ['订单已关闭', 'This order is closed'];
  if (order.expire_at_ms !== undefined && core.clock.now_ms() >= order.expire_at_ms)
    return ['订单已过期', 'This order has expired'];
  return null;
}

const JSAPI_FIELDS = ['appId', 'timeStamp', 'nonceStr', 'package', 'signType', 'paySign'] as const;

/** The order a getBrandWCPayRequest call names, after its paySign verified with the merchant key. */
function jsapiOrder(
  core: SimCore,
  params: Record<string, string>,
): { order: SimOrder } | { error: [string, string] } {
  for (const name of JSAPI_FIELDS) {
    if (!params[name]) return { error: ['支付参数缺失', `Missing ${name}`] };
  }
  const prepay_id = /^prepay_id=(.+)$/.exec(params.package!)?.[1];
  if (prepay_id === undefined) return { error: ['支付参数错误', 'package must be prepay_id=…'] };
  const order = core.orders.byPayerCredential(prepay_id);
  if (order?.trade_type !== 'JSAPI') return { error: ['订单不存在', 'No JSAPI order with this prepay_id'] };
  if (params.appId !== clientAppidOf(order))
    return { error: ['appId 与订单不符', 'appId does not match the order'] };
  if (params.signType !== 'RSA') return { error: ['签名类型错误', 'signType must be RSA'] };
  const merchant = core.merchants.get(order.mchid);
  const message = `${params.appId}\n${params.timeStamp}\n${params.nonceStr}\n${params.package}\n`;
  if (!merchant || !verifySha256Rsa(message, params.paySign!, merchant.merchant_public_key_pem))
    return { error: ['支付验证签名失败', 'paySign does not verify with the merchant key: payment refused'] };
  return { order };
}

function view(order: SimOrder): OrderView {
  const mchid = order.sub_mchid ?? order.mchid;
  return { merchant: `商户号 ${mchid}`, subject: order.description, amount_fen: order.amount_total };
}

export function registerWalletRoutes(app: FastifyInstance, core: SimCore): void {
  const codes = new OneTimeCodes<OAuthGrant>(core.clock, core.random, OAUTH_CODE_TTL_MS, 32);

  app.get('/connect/oauth2/authorize', async (request, reply) => {
    const q = queryOf(request);
    const target = redirectTarget(q.redirect_uri);
    if (!q.appid || !core.merchants.app(q.appid).known)
      return sendHtml(
        reply,
        400,
        errorPage(WECHAT_THEME, '参数错误：appid 无效', 'Invalid appid (errcode 10003)'),
      );
    if (target === null)
      return sendHtml(
        reply,
        400,
        errorPage(WECHAT_THEME, 'redirect_uri 参数错误', 'Invalid redirect_uri (errcode 10003)'),
      );
    if (q.response_type !== 'code')
      return sendHtml(
        reply,
        400,
        errorPage(WECHAT_THEME, 'response_type 参数错误', 'response_type must be code'),
      );
    const scope = q.scope ?? '';
    if (scope !== 'snsapi_base' && scope !== 'snsapi_userinfo')
      return sendHtml(reply, 400, errorPage(WECHAT_THEME, 'scope 参数错误', 'Invalid scope (errcode 10005)'));
    const state = q.state ?? '';
    if (core.faults.takeKind('authorize', undefined, ['deny_authorization'])) {
      return redirect(reply, withQuery(target, { state }));
    }
    const payer = payerOf(request, reply, () => newPayer(core));
    const code = codes.issue({ appid: q.appid, openid: simOpenid(q.appid, payer), scope });
    return redirect(reply, withQuery(target, { code, state }));
  });

  app.get('/sns/oauth2/access_token', async (request, reply) => {
    const q = queryOf(request);
    const faults = core.faults.take('oauth_token', undefined, [
      'timeout',
      'http_500',
      'system_error',
      'latency_ms',
    ]);
    const latency_ms = faults.reduce(
      (sum, f) => sum + (f.kind === 'latency_ms' ? (f.latency_ms ?? 0) : 0),
      0,
    );
    if (latency_ms > 0) await core.delay(latency_ms);
    if (faults.some((f) => f.kind === 'timeout')) {
      reply.hijack();
      await hang(request);
      return;
    }
    if (faults.some((f) => f.kind === 'http_500'))
      return reply.code(500).type('text/html').send('<h1>500</h1>');
    if (faults.some((f) => f.kind === 'system_error')) return sendErr(reply, -1, 'system error');
    if (q.grant_type !== 'authorization_code') return sendErr(reply, 40002, 'invalid grant_type');
    const app_info = q.appid ? core.merchants.app(q.appid) : { known: false };
    if (!q.appid || !app_info.known) return sendErr(reply, 40013, 'invalid appid');
    if (!q.secret || app_info.secret === undefined || q.secret !== app_info.secret)
      return sendErr(reply, 40125, 'invalid appsecret');
    if (!q.code) return sendErr(reply, 41008, 'missing code');
    const seen = codes.peek(q.code);
    if (seen.ok && seen.data.appid !== q.appid) return sendErr(reply, ERR_INVALID_CODE, 'invalid code');
    const redeemed = codes.redeem(q.code);
    if (!redeemed.ok) {
      return redeemed.reason === 'used'
        ? sendErr(reply, 40163, 'code been used')
        : sendErr(reply, ERR_INVALID_CODE, 'invalid code');
    }
    return reply
      .code(200)
      .type('application/json; encoding=utf-8')
      .send({
        access_token: alphanumericNonce(core.random, 64),
        expires_in: ACCESS_TOKEN_TTL_S,
        refresh_token: alphanumericNonce(core.random, 64),
        openid: redeemed.data.openid,
        scope: redeemed.data.scope,
      });
  });

  /** The next authorisation is refused by the payer (a deny_authorization fault, once). */
  app.post('/sim/payer-auth/deny-next', async (_request, reply) => {
    const rule = core.faults.add({ kind: 'deny_authorization', operation: 'authorize', times: 1 });
    return reply.code(201).send(rule);
  });

  app.get('/sim/wallet/bridge.js', async (request, reply) =>
    sendScript(
      reply,
      bridgeScript(
        originOf(request),
        `  var bridge = {
    invoke: function (name, params, callback) {
      if (name !== 'getBrandWCPayRequest') {
        if (callback) callback({ err_msg: name + ':fail not supported by the simulator' });
        return;
      }
      var p = params || {};
      __simGo('/sim/wallet/jsapi', { appId: p.appId, timeStamp: p.timeStamp, nonceStr: p.nonceStr,
        'package': p['package'], signType: p.signType, paySign: p.paySign });
    },
    on: function () {},
    call: function () {}
  };
  window.WeixinJSBridge = bridge;
  var fire = function () {
    var e = document.createEvent('Event');
    e.initEvent('WeixinJSBridgeReady', true, true);
    document.dispatchEvent(e);
  };
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', fire);
  else setTimeout(fire, 0);`,
      ),
    ),
  );

  checkoutRoutes<SimOrder>(app, WECHAT_THEME, '/sim/wallet/jsapi', {
    find(fields) {
      const found = jsapiOrder(core, fields);
      if ('error' in found) return { status: 400, text: found.error };
      const problem = unpayable(core, found.order);
      return problem ? { status: 409, text: problem } : found;
    },
    view,
    carry: (fields) => Object.fromEntries(JSAPI_FIELDS.map((name) => [name, fields[name] ?? ''])),
    pay: (order) => core.pay(order.out_trade_no),
  });

  checkoutRoutes<SimOrder>(app, WECHAT_THEME, '/sim/wallet/scan', {
    find(fields) {
      const code = fields.code ?? '';
      if (!code.startsWith('weixin://wxpay/bizpayurl'))
        return { status: 400, text: ['无法识别的二维码', 'Not a WeChat Pay code'] };
      const order = core.orders.byPayerCredential(code);
      return foundOrNotFound(order, unpayable(core, order));
    },
    view,
    carry: (fields) => ({ code: fields.code ?? '' }),
    pay(order, request, reply) {
      const payer = payerOf(request, reply, () => newPayer(core));
      return core.pay(order.out_trade_no, simOpenid(clientAppidOf(order), payer));
    },
  });
}

const ERR_INVALID_CODE = 40029;
/** A hung exchange is let go after this long even if the client waits on. */
const HANG_MAX_MS = 120_000;

/** Accepts the request and never answers, until the client gives up (or HANG_MAX_MS). */
async function hang(request: FastifyRequest): Promise<void> {
  const socket = request.raw.socket;
  await new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, HANG_MAX_MS);
    timer.unref();
    socket.once('close', () => {
      clearTimeout(timer);
      resolve();
    });
  });
  socket.destroy();
}
