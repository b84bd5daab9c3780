import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import QRCode from 'qrcode';
import type { PageOptions } from '../../cashier/html.ts';
import { cookieValue, LANG_COOKIE, type Lang, pickLang } from '../../cashier/i18n.ts';
import {
  chooseWalletPage,
  failurePage,
  notFoundPage,
  type PaymentSummary,
  payPage,
  statePage,
} from '../../cashier/pages.ts';
import { ERROR_CATALOGUE, type ErrorCode } from '../../domain/errors.ts';
import type { ChannelName } from '../../domain/pay-way.ts';
import { isTerminal } from '../../domain/payment-state.ts';
import { alphanumericNonce } from '../../domain/random.ts';
import { walletOfUserAgent } from '../../domain/wallet.ts';
import {
  acceptedWallets,
  cashierUrl,
  payWithWallet,
  recordIdentityFailure,
  UNBOUND,
} from '../../services/cashier-payment.ts';
import { channelContext, type Gateway } from '../../services/gateway.ts';
import { findPaymentById, type PaymentRecord } from '../../storage/repositories/payments.ts';
import { findMerchant } from '../../storage/repositories/tenants.ts';

const PAYMENT_ID = /^pay_[0-9A-HJKMNP-TV-Z]{26}$/;
const CHANNELS: readonly ChannelName[] = ['wechat', 'alipay', 'unionpay'];
/** The cookie that ties a wallet's authorisation callback to the browser that started it. */
const STATE_COOKIE = 'paymux_cashier_state';
const STATE_COOKIE_MAX_AGE_S = 600;

/**
 * The QR cashier's pages (no merchant signature: the payer's wallet opens them). A payment id has
 * 80 random bits, so these URLs are as private as the QR code that carries them.
 *
 *   GET /cashier/:id                 which wallet is this? → its authorisation, or the list of apps
 *   GET /cashier/:id/auth/:channel   the wallet's callback → identity → in-wallet order → pay page
 *   GET /cashier/:id/pay             the pay page (the wallet's JS bridge)
 *   GET /cashier/:id/status          the payment's state, for the pages' polling
 */
export function cashierRoutes(app: FastifyInstance, gw: Gateway): void {
  app.get('/cashier/:id', { schema: { hide: true } }, async (request, reply) => {
    const { id } = request.params as { id: string };
    const query = request.query as Record<string, string>;
    const lang = langOf(request, reply);
    const self = selfOf(`/cashier/${id}`, query);
    const payment = await cashierPayment(gw, id);
    if (!payment) return sendPage(reply, 404, notFoundPage(lang, self));
    if (isTerminal(payment.state)) return sendPage(reply, 200, statePage(lang, stateInput(payment), self));

    const wallet = walletOf(gw, request, query);
    if (payment.channel !== UNBOUND) {
      if (wallet !== null && wallet !== payment.channel) {
        return sendPage(reply, 409, failure(lang, payment, 'CASHIER_PAYMENT_TAKEN', null, self));
      }
      if (payment.credential_json && wallet === payment.channel) {
        return reply.redirect(withDemoWallet(`/cashier/${id}/pay`, query), 303);
      }
      return sendPage(reply, 200, statePage(lang, stateInput(payment), self));
    }

    const wallets = await acceptedWallets(gw, payment.merchant_id);
    const chosen = wallet === null ? undefined : wallets.find((w) => w.channel === wallet);
    if (!chosen) {
      const qr_svg = await QRCode.toString(cashierUrl(gw, id), { type: 'svg', margin: 1 });
      const demo_links = gw.settings.demo_pages
        ? wallets.map((w) => ({ channel: w.channel, href: `/cashier/${id}?wallet=${w.channel}` }))
        : [];
      const page = chooseWalletPage(
        lang,
        {
          payment: summaryOf(payment),
          accepted: wallets.map((w) => w.channel),
          refused_wallet: wallet,
          qr_svg,
          demo_links,
        },
        self,
      );
      return sendPage(reply, 200, page);
    }
    const nonce = alphanumericNonce(gw.random, 24);
    const redirect_uri = `${gw.settings.public_url}/cashier/${id}/auth/${chosen.channel}`;
    void reply.header(
      'set-cookie',
      `${STATE_COOKIE}=${nonce}; Path=/cashier/${id}; Max-Age=${STATE_COOKIE_MAX_AGE_S}; HttpOnly; SameSite=Lax`,
    );
    return reply.redirect(chosen.authorization.authorizeUrl(chosen.account, redirect_uri, nonce), 302);
  });

  app.get('/cashier/:id/auth/:channel', { schema: { hide: true } }, async (request, reply) => {
    const { id, channel } = request.params as { id: string; channel: string };
    const query = request.query as Record<string, string>;
    const lang = langOf(request, reply);
    const self = selfOf(`/cashier/${id}`, {});
    const payment = await cashierPayment(gw, id);
    if (!payment || !isChannel(channel)) return sendPage(reply, 404, notFoundPage(lang, self));
    const retry = `/cashier/${id}${demoSuffix(gw, channel)}`;
    // A wallet that comes back without our state lost the redirect's parameters: nothing to
    // exchange. Otherwise the state must come back to the browser that left: a callback carried
    // elsewhere (shared, replayed, or forged to bind someone else's identity) stops here. The
    // cookie outlives the callback, so a reload reaches the wallet and is told the code was used.
    if (!query.state) {
      await recordIdentityFailure(
        gw,
        id,
        'PAYER_AUTH_CODE_MISSING',
        'the callback carried no state and no code',
      );
      return sendPage(reply, 400, failure(lang, payment, 'PAYER_AUTH_CODE_MISSING', retry, self));
    }
    const expected = cookieValue(request.headers.cookie, STATE_COOKIE);
    if (!expected || query.state !== expected) {
      await recordIdentityFailure(gw, id, 'PAYER_AUTH_STATE_INVALID', 'state does not match this browser');
      return sendPage(reply, 400, failure(lang, payment, 'PAYER_AUTH_STATE_INVALID', retry, self));
    }
    const wallet = (await acceptedWallets(gw, payment.merchant_id)).find((w) => w.channel === channel);
    if (!wallet)
      return sendPage(reply, 422, failure(lang, payment, 'CASHIER_WALLET_NOT_ACCEPTED', null, self));
    const ctx = channelContext(gw);
    const identity = await wallet.authorization.exchange(ctx, wallet.account, query);
    if (identity.kind === 'failed') {
      gw.logger.info({ payment_id: id, channel, code: identity.code }, 'payer identity not captured');
      await recordIdentityFailure(gw, id, identity.code, identity.detail);
      return sendPage(reply, statusOf(identity.code), failure(lang, payment, identity.code, retry, self));
    }
    const result = await payWithWallet(gw, id, channel, identity.payer);
    if (result.kind === 'refused') {
      const again = result.code.startsWith('PAYER_') ? retry : null;
      return sendPage(reply, statusOf(result.code), failure(lang, result.payment, result.code, again, self));
    }
    if (result.kind === 'pay') return reply.redirect(`/cashier/${id}/pay${demoSuffix(gw, channel)}`, 303);
    return reply.redirect(`/cashier/${id}`, 303);
  });

  app.get('/cashier/:id/pay', { schema: { hide: true } }, async (request, reply) => {
    const { id } = request.params as { id: string };
    const query = request.query as Record<string, string>;
    const lang = langOf(request, reply);
    const self = selfOf(`/cashier/${id}/pay`, query);
    const payment = await cashierPayment(gw, id);
    if (!payment) return sendPage(reply, 404, notFoundPage(lang, self));
    if (payment.channel === UNBOUND || !payment.credential_json || isTerminal(payment.state)) {
      return reply.redirect(withDemoWallet(`/cashier/${id}`, query), 303);
    }
    const account = await gw.accounts.load(payment.channel_account_id);
    const bridge = account?.config.wallet_bridge_url;
    const page = payPage(
      lang,
      {
        payment: summaryOf(payment),
        channel: payment.channel as ChannelName,
        credential: JSON.parse(payment.credential_json) as Record<string, unknown>,
        status_url: `/cashier/${id}/status`,
        bridge_script_url: bridge ? bridgeScriptUrl(bridge) : null,
      },
      self,
    );
    return sendPage(reply, 200, page);
  });

  app.get('/cashier/:id/status', { schema: { hide: true } }, async (request, reply) => {
    const { id } = request.params as { id: string };
    const payment = await cashierPayment(gw, id);
    void reply.header('cache-control', 'no-store');
    if (!payment) return reply.status(404).send({ state: null });
    return { state: payment.state };
  });
}

async function cashierPayment(gw: Gateway, id: string): Promise<PaymentRecord | undefined> {
  if (!PAYMENT_ID.test(id)) return undefined;
  const payment = await findPaymentById(gw.store.db, id);
  if (payment?.pay_way !== 'QR_CASHIER') return undefined;
  if (!merchant_names.has(payment.merchant_id)) {
    if (merchant_names.size >= MERCHANT_NAMES_MAX) merchant_names.clear();
    merchant_names.set(
      payment.merchant_id,
      (await findMerchant(gw.store.db, payment.merchant_id))?.name ?? '',
    );
  }
  return payment;
}

/** Merchant names for the pages' "pay to" line; names change rarely and a stale one is harmless. */
const merchant_names = new Map<string, string>();
const MERCHANT_NAMES_MAX = 10_000;

/** The wallet from the User-Agent; in the demo, `?wallet=` lets a desktop browser play one. */
function walletOf(gw: Gateway, request: FastifyRequest, query: Record<string, string>): ChannelName | null {
  if (gw.settings.demo_pages && query.wallet && isChannel(query.wallet)) return query.wallet;
  return walletOfUserAgent(request.headers['user-agent']);
}

function demoSuffix(gw: Gateway, channel: ChannelName): string {
  return gw.settings.demo_pages ? `?wallet=${channel}` : '';
}

function withDemoWallet(path: string, query: Record<string, string>): string {
  return query.wallet && isChannel(query.wallet) ? `${path}?wallet=${query.wallet}` : path;
}

function isChannel(value: string): value is ChannelName {
  return (CHANNELS as readonly string[]).includes(value);
}

/** A simulator account names its base URL or the script itself. */
function bridgeScriptUrl(setting: string): string {
  return setting.endsWith('.js') ? setting : `${setting.replace(/\/+$/, '')}/sim/wallet/bridge.js`;
}

export function langOf(request: FastifyRequest, reply: FastifyReply): Lang {
  const query = request.query as Record<string, string | undefined>;
  const lang = pickLang(query.lang, request.headers.cookie, request.headers['accept-language']);
  if (query.lang) {
    void reply.header('set-cookie', `${LANG_COOKIE}=${lang}; Path=/; Max-Age=31536000; SameSite=Lax`);
  }
  return lang;
}

export function selfOf(path: string, query: Record<string, string>): PageOptions {
  const { lang: _lang, ...rest } = query;
  return { self: { path, query: rest } };
}

export function sendPage(reply: FastifyReply, status: number, body: string): FastifyReply {
  return reply
    .status(status)
    .header('content-type', 'text/html; charset=utf-8')
    .header('cache-control', 'no-store')
    .header('x-frame-options', 'DENY')
    .send(body);
}

function summaryOf(p: PaymentRecord): PaymentSummary {
  return {
    id: p.id,
    merchant_name: merchant_names.get(p.merchant_id) ?? '',
    subject: p.subject,
    amount_fen: p.amount_fen,
    state: p.state,
  };
}

function stateInput(p: PaymentRecord) {
  return { payment: summaryOf(p), status_url: `/cashier/${p.id}/status` };
}

function failure(
  lang: Lang,
  payment: PaymentRecord,
  code: ErrorCode,
  retry_url: string | null,
  self: PageOptions,
): string {
  return failurePage(lang, { payment: summaryOf(payment), code, retry_url }, self);
}

function statusOf(code: ErrorCode): number {
  return ERROR_CATALOGUE[code].status;
}
