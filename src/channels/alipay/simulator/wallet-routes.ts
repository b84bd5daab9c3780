import type { FastifyInstance } from 'fastify';
import { alphanumericNonce } from '../../../domain/random.ts';
import { checkoutRoutes, foundOrNotFound } from '../../simulator-kit/checkout-routes.ts';
import { redirectTarget, withQuery } from '../../simulator-kit/one-time-codes.ts';
import {
  ALIPAY_THEME,
  bridgeScript,
  errorPage,
  originOf,
  payerOf,
  queryOf,
  redirect,
  sendHtml,
  sendScript,
  stableDigits,
  stableId,
} from '../../simulator-kit/wallet-page.ts';
import { toBeijingDateTime } from '../time.ts';
import type { SimCore } from './core.ts';
import type { Caller } from './method-context.ts';
import type { SimOrder } from './orders.ts';
import { invalidArguments, type SimResult } from './results.ts';

/**
 * The payer's side of Alipay, played in a browser:
 *
 * - user authorisation (用户信息授权, scope auth_base is silent): GET
 *   /oauth2/publicAppAuthorize.htm sends the payer back to redirect_uri with auth_code, app_id,
 *   source=alipay_wallet, scope and state; alipay.system.oauth.token (gateway, see
 *   oauthTokenAnswer) exchanges the code once for the payer's user_id, or open_id for apps
 *   registered with identity_mode "open_id". A `deny_authorization` fault (operation "authorize")
 *   sends the payer back without an auth_code.
 * - the wallet: /sim/wallet/scan (after scanning a precreate qr_code), /sim/wallet/bridge.js
 *   (AlipayJSBridge for ALI_JSAPI pages) and /sim/wallet/jsapi (what tradePay opens).
 */

function newPayer(core: SimCore): string {
  return `payer-${alphanumericNonce(core.random, 12)}`;
}

/** The payer's Alipay user id (2088…), the same under every app. */
export function simUserId(payer: string): string {
  return `2088${stableDigits(['alipay-user-id', payer], 12)}`;
}

/** The payer's open_id under one app (newer apps): stable for the pair. */
export function simOpenId(app_id: string, payer: string): string {
  return `0${stableId(['alipay-open-id', app_id, payer], 43)}`;
}

/** The answer to alipay.system.oauth.token: the business object and whether it is an error_response. */
export function oauthTokenAnswer(
  core: SimCore,
  caller: Caller,
  params: Readonly<Record<string, string>>,
): { error: boolean; result: SimResult | Record<string, unknown> } {
  if (params.grant_type !== 'authorization_code')
    return { error: true, result: invalidArguments('isv.grant-type-invalid', 'grant_type参数不正确') };
  const code = params.code ?? '';
  if (code === '') return { error: true, result: invalidArguments('isv.code-invalid', '授权码code无效') };
  const seen = core.auth_codes.peek(code);
  if (seen.ok && seen.data.app_id !== caller.app.app_id)
    return { error: true, result: invalidArguments('isv.code-invalid', '授权码code无效') };
  const redeemed = core.auth_codes.redeem(code);
  if (!redeemed.ok) {
    const sub_msg =
      redeemed.reason === 'used'
        ? '授权码已被使用 (auth_code already used)'
        : redeemed.reason === 'expired'
          ? '授权码已过期'
          : '授权码code无效';
    return { error: true, result: invalidArguments('isv.code-invalid', sub_msg) };
  }
  const now_ms = core.clock.now_ms();
  const identity =
    caller.app.identity_mode === 'open_id'
      ? { open_id: simOpenId(caller.app.app_id, redeemed.data.payer) }
      : { user_id: simUserId(redeemed.data.payer) };
  return {
    error: false,
    result: {
      ...identity,
      access_token: `authbseB${alphanumericNonce(core.random, 32)}`,
      expires_in: 1296000,
      refresh_token: `authbseB${alphanumericNonce(core.random, 32)}`,
      re_expires_in: 2592000,
      auth_start: toBeijingDateTime(now_ms),
    },
  };
}

function payable(core: SimCore, order: SimOrder | undefined): [string, string] | null {
  if (!order) return ['交易不存在', 'No such trade'];
  if (order.status === 'TRADE_SUCCESS' || order.status === 'TRADE_FINISHED')
    return ['交易已支付', 'This trade is already paid'];
  if (order.status === 'TRADE_CLOSED') return ['交易已关闭', 'This trade is closed'];
  if (order.expire_at_ms !== undefined && core.clock.now_ms() >= order.expire_at_ms)
    return ['交易已过期', 'This trade has expired'];
  return null;
}

function byQrCode(core: SimCore, qr_code: string): SimOrder | undefined {
  for (const order of core.orders.all()) if (order.qr_code === qr_code) return order;
  return undefined;
}

function view(order: SimOrder) {
  return { merchant: `商户 ${order.seller_id}`, subject: order.subject, amount_fen: order.total_fen };
}

export function registerWalletRoutes(app: FastifyInstance, core: SimCore): void {
  app.get('/oauth2/publicAppAuthorize.htm', async (request, reply) => {
    const q = queryOf(request);
    const target = redirectTarget(q.redirect_uri);
    if (!q.app_id || !core.apps.get(q.app_id))
      return sendHtml(reply, 400, errorPage(ALIPAY_THEME, '应用不存在', 'Unknown app_id'));
    if (target === null)
      return sendHtml(reply, 400, errorPage(ALIPAY_THEME, 'redirect_uri 错误', 'Invalid redirect_uri'));
    const scope = q.scope ?? '';
    if (scope !== 'auth_base' && scope !== 'auth_user')
      return sendHtml(reply, 400, errorPage(ALIPAY_THEME, 'scope 错误', 'Invalid scope'));
    const back = { app_id: q.app_id, source: 'alipay_wallet', scope, state: q.state ?? '' };
    if (core.faults.takeKind('authorize', undefined, ['deny_authorization']))
      return redirect(reply, withQuery(target, back));
    const payer = payerOf(request, reply, () => newPayer(core));
    const auth_code = core.auth_codes.issue({ app_id: q.app_id, payer, scope });
    return redirect(reply, withQuery(target, { auth_code, ...back }));
  });

  /** The next user authorisation is refused (a deny_authorization fault, once). */
  app.post('/sim/payer-auth/deny-next', async (_request, reply) =>
    reply.code(201).send(core.faults.add({ kind: 'deny_authorization', operation: 'authorize', times: 1 })),
  );

  app.get('/sim/wallet/bridge.js', async (request, reply) =>
    sendScript(
      reply,
      bridgeScript(
        originOf(request),
        `  var bridge = {
    call: function (name, params, callback) {
      if (name !== 'tradePay') {
        if (callback) callback({ resultCode: '6001', memo: name + ' is not supported by the simulator' });
        return;
      }
      var p = params || {};
      __simGo('/sim/wallet/jsapi', { trade_no: p.tradeNO });
    }
  };
  window.AlipayJSBridge = bridge;
  var fire = function () {
    var e = document.createEvent('Event');
    e.initEvent('AlipayJSBridgeReady', true, true);
    document.dispatchEvent(e);
  };
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', fire);
  else setTimeout(fire, 0);`,
      ),
    ),
  );

  checkoutRoutes<SimOrder>(app, ALIPAY_THEME, '/sim/wallet/jsapi', {
    async find(fields) {
      const order = fields.trade_no ? core.orders.byTradeNo(fields.trade_no) : undefined;
      if (order) await core.refresh(order);
      const created = order?.product === 'create' ? order : undefined;
      return foundOrNotFound(created, payable(core, created));
    },
    view,
    carry: (_fields, order) => ({ trade_no: order.trade_no }),
    pay: (order) => core.pay(order.out_trade_no),
  });

  checkoutRoutes<SimOrder>(app, ALIPAY_THEME, '/sim/wallet/scan', {
    async find(fields) {
      const order = byQrCode(core, fields.code ?? '');
      if (order) await core.refresh(order);
      return foundOrNotFound(order, payable(core, order));
    },
    view,
    carry: (fields) => ({ code: fields.code ?? '' }),
    pay: (order) => core.pay(order.out_trade_no),
  });
}
