import type { FastifyInstance } from 'fastify';
import { alphanumericNonce } from '../../../domain/random.ts';
import { checkoutRoutes, foundOrNotFound } from '../../simulator-kit/checkout-routes.ts';
import { redirectTarget, withQuery } from '../../simulator-kit/one-time-codes.ts';
import {
  bridgeScript,
  errorPage,
  originOf,
  payerOf,
  queryOf,
  redirect,
  sendHtml,
  sendScript,
  UNIONPAY_THEME,
} from '../../simulator-kit/wallet-page.ts';
import { USER_AUTH_PATH } from '../constants.ts';
import type { SimCore } from './core.ts';
import type { SimTxn } from './orders.ts';

/**
 * The payer's side of Cloud QuickPass (云闪付), played in a browser:
 *
 * - user authorisation: GET /qrcGtwWeb-web/api/userAuth?version=1.0.0&redirectUrl=<enc> sends the
 *   payer back to redirectUrl with `userAuthCode` and `respCode=00`; a `deny_authorization` fault
 *   (operation "authorize") sends `respCode=34` and no code. Each code pays for one UP_JSAPI order
 *   (transactions.ts asks core.useUserAuthCode).
 * - the wallet: /sim/wallet/scan (after scanning a UP_QR code), /sim/wallet/bridge.js (`upsdk`
 *   for in-app pages; `upsdk.pay({tn, success, fail})`) and /sim/wallet/jsapi (what it opens).
 */

/** respCode of a refused authorisation (UnionPay's value is not in our sources; any non-00 says no). */
export const USER_AUTH_DENIED_RESP_CODE = '34';

function newPayer(core: SimCore): string {
  return `payer-${alphanumericNonce(core.random, 12)}`;
}

async function payable(core: SimCore, txn: SimTxn | undefined): Promise<[string, string] | null> {
  if (!txn) return ['订单不存在', 'No such order'];
  await core.settle(txn);
  if (txn.state === 'success') return ['订单已支付', 'This order is already paid'];
  if (txn.state !== 'awaiting_payer') return ['订单已失效', 'This order can no longer be paid'];
  return null;
}

/** The order a payer credential (a `tn` or a QR code) names, if it is of this way and payable. */
async function findTxn(core: SimCore, credential: string | undefined, way: SimTxn['way']) {
  const txn = credential ? core.txns.byPayerCredential(credential) : undefined;
  const of_way = txn?.way === way ? txn : undefined;
  return foundOrNotFound(of_way, await payable(core, of_way));
}

function view(txn: SimTxn) {
  return { merchant: `商户 ${txn.mer_id}`, subject: `订单 ${txn.order_id}`, amount_fen: txn.amount_fen };
}

export function registerWalletRoutes(app: FastifyInstance, core: SimCore): void {
  app.get(USER_AUTH_PATH, async (request, reply) => {
    const q = queryOf(request);
    const target = redirectTarget(q.redirectUrl);
    if (target === null)
      return sendHtml(reply, 400, errorPage(UNIONPAY_THEME, 'redirectUrl 参数错误', 'Invalid redirectUrl'));
    if (core.faults.takeKind('authorize', undefined, ['deny_authorization']))
      return redirect(reply, withQuery(target, { respCode: USER_AUTH_DENIED_RESP_CODE }));
    const payer = payerOf(request, reply, () => newPayer(core));
    const userAuthCode = core.user_auth_codes.issue({ payer });
    return redirect(reply, withQuery(target, { userAuthCode, respCode: '00' }));
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
        `  var pending = [];
  var sdk = {
    config: function () {},
    ready: function (fn) { if (fn) setTimeout(fn, 0); },
    error: function () {},
    pluginReady: function (fn) { if (fn) setTimeout(fn, 0); },
    pay: function (options) {
      var o = options || {};
      if (!o.tn) { if (o.fail) o.fail({ msg: 'tn is missing' }); return; }
      __simGo('/sim/wallet/jsapi', { tn: o.tn });
    }
  };
  window.upsdk = sdk;`,
      ),
    ),
  );

  checkoutRoutes<SimTxn>(app, UNIONPAY_THEME, '/sim/wallet/jsapi', {
    find: (fields) => findTxn(core, fields.tn, 'jsapi'),
    view,
    carry: (_fields, txn) => ({ tn: txn.tn! }),
    pay: (txn) => core.pay(txn.order_id),
  });

  checkoutRoutes<SimTxn>(app, UNIONPAY_THEME, '/sim/wallet/scan', {
    find: (fields) => findTxn(core, fields.code, 'qr'),
    view,
    carry: (fields) => ({ code: fields.code ?? '' }),
    pay: (txn) => core.pay(txn.order_id),
  });
}
