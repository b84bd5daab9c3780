import { createHash } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { escapeHtml } from '../../domain/html.ts';
import { fenToYuan } from '../../domain/money.ts';

/**
 * The payer's wallet app in miniature, shared by the simulators: plain mobile-first HTML pages
 * (no framework, no external assets) in each channel's colours, Chinese text with English in
 * small print. Element ids are stable for browser tests: #merchant, #subject, #amount, #pay,
 * #cancel, #result (with data-status="ok" | "error").
 *
 * Also the payer's identity in the simulated wallet: a `payer` query parameter (tests choose it)
 * or the `sim_payer` cookie, set on first visit so one browser stays one payer.
 */
export interface WalletTheme {
  /** The wallet's name in Chinese and English, e.g. 微信支付 / WeChat Pay. */
  name: string;
  name_en: string;
  /** The brand colour (CSS). */
  color: string;
}

export const WECHAT_THEME: WalletTheme = { name: '微信支付', name_en: 'WeChat Pay', color: '#07c160' };
export const ALIPAY_THEME: WalletTheme = { name: '支付宝', name_en: 'Alipay', color: '#1677ff' };
export const UNIONPAY_THEME: WalletTheme = {
  name: '云闪付',
  name_en: 'UnionPay QuickPass',
  color: '#e60012',
};

function page(theme: WalletTheme, title: string, body: string): string {
  return `<!doctype html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1, maximum-scale=1">
<title>${escapeHtml(title)} - ${escapeHtml(theme.name)}</title>
<style>
  body { margin: 0; font-family: -apple-system, "PingFang SC", "Helvetica Neue", Arial, sans-serif; background: #f5f5f5; color: #222; }
  header { background: ${theme.color}; color: #fff; padding: 14px 16px; font-size: 17px; }
  header small, .en { font-size: 11px; opacity: .75; }
  main { max-width: 480px; margin: 0 auto; padding: 16px; }
  .card { background: #fff; border-radius: 10px; padding: 20px 16px; text-align: center; }
  .merchant { color: #666; font-size: 14px; }
  .amount { font-size: 36px; font-weight: 600; margin: 12px 0; }
  .subject { color: #444; margin-bottom: 8px; }
  .en { display: block; color: #888; }
  button, .button { display: block; box-sizing: border-box; width: 100%; margin-top: 16px; padding: 13px; border: 0; border-radius: 8px; font-size: 17px; text-decoration: none; text-align: center; }
  button.primary { background: ${theme.color}; color: #fff; }
  .secondary { background: #fff; color: #333; border: 1px solid #ddd !important; }
  .ok { color: ${theme.color}; font-size: 22px; }
  .error { color: #d4380d; font-size: 18px; }
</style>
</head>
<body>
<header>${escapeHtml(theme.name)} <small>${escapeHtml(theme.name_en)} · simulator</small></header>
<main>${body}</main>
</body>
</html>
`;
}

export interface PayPageInput {
  merchant: string;
  subject: string;
  amount_fen: number;
  /** Where the Pay form posts, and the hidden fields it carries. */
  action: string;
  fields: Readonly<Record<string, string>>;
  /** Where Cancel goes (in-wallet payment: back to the page that asked); none: no Cancel. */
  cancel_url?: string;
}

export function payPage(theme: WalletTheme, input: PayPageInput): string {
  const hidden = Object.entries(input.fields)
    .map(([k, v]) => `<input type="hidden" name="${escapeHtml(k)}" value="${escapeHtml(v)}">`)
    .join('');
  const cancel =
    input.cancel_url === undefined
      ? ''
      : `<a id="cancel" class="button secondary" href="${escapeHtml(input.cancel_url)}">取消 <span class="en">Cancel</span></a>`;
  return page(
    theme,
    '确认付款',
    `<div class="card">
  <div class="merchant" id="merchant">${escapeHtml(input.merchant)}</div>
  <div class="amount">¥<span id="amount">${fenToYuan(input.amount_fen)}</span></div>
  <div class="subject" id="subject">${escapeHtml(input.subject)}</div>
  <form method="post" action="${escapeHtml(input.action)}">${hidden}
    <button id="pay" class="primary" type="submit">确认付款 <span class="en">Pay</span></button>
  </form>
  ${cancel}
</div>`,
  );
}

export function resultPage(
  theme: WalletTheme,
  input: { merchant: string; subject: string; amount_fen: number; return_url?: string },
): string {
  const back =
    input.return_url === undefined
      ? ''
      : `<a id="back" class="button primary" href="${escapeHtml(input.return_url)}">返回商户 <span class="en">Back to merchant</span></a>`;
  return page(
    theme,
    '支付成功',
    `<div class="card">
  <div id="result" data-status="ok" class="ok">支付成功 <span class="en">Payment successful</span></div>
  <div class="merchant" id="merchant">${escapeHtml(input.merchant)}</div>
  <div class="amount">¥<span id="amount">${fenToYuan(input.amount_fen)}</span></div>
  <div class="subject" id="subject">${escapeHtml(input.subject)}</div>
  ${back}
</div>`,
  );
}

export function errorPage(theme: WalletTheme, message: string, message_en: string): string {
  return page(
    theme,
    '无法支付',
    `<div class="card">
  <div id="result" data-status="error" class="error">${escapeHtml(message)}<span class="en">${escapeHtml(message_en)}</span></div>
</div>`,
  );
}

export function sendHtml(reply: FastifyReply, status: number, html: string): FastifyReply {
  return reply.code(status).header('cache-control', 'no-store').type('text/html; charset=utf-8').send(html);
}

/** Sends the payer's browser on (303 after a POST, 302 otherwise). */
export function redirect(reply: FastifyReply, location: string, status: 302 | 303 = 302): FastifyReply {
  return reply.code(status).header('location', location).header('cache-control', 'no-store').send();
}

/** The form fields of a POSTed page (bodies reach the simulators as raw strings). */
export function formOf(request: FastifyRequest): Record<string, string> {
  const body = typeof request.body === 'string' ? request.body : '';
  return Object.fromEntries(new URLSearchParams(body));
}

/** The query parameters, first value of each. */
export function queryOf(request: FastifyRequest): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(request.query as Record<string, unknown>)) {
    if (typeof v === 'string') out[k] = v;
    else if (Array.isArray(v) && typeof v[0] === 'string') out[k] = v[0];
  }
  return out;
}

/** scheme://host of the simulator as the browser reached it. */
export function originOf(request: FastifyRequest): string {
  return `${request.protocol}://${request.headers.host ?? 'localhost'}`;
}

const PAYER_COOKIE = 'sim_payer';
const PAYER = /^[A-Za-z0-9_.-]{1,64}$/;

/**
 * Who the payer is in the simulated wallet: `?payer=` (tests choose), else the `sim_payer`
 * cookie, else a new one (set as a cookie so the same browser stays the same payer).
 */
export function payerOf(request: FastifyRequest, reply: FastifyReply, fresh: () => string): string {
  const query = queryOf(request).payer;
  if (query !== undefined && PAYER.test(query)) return query;
  const cookie = /(?:^|;\s*)sim_payer=([^;]+)/.exec(request.headers.cookie ?? '')?.[1];
  if (cookie !== undefined && PAYER.test(cookie)) return cookie;
  const payer = fresh();
  reply.header('set-cookie', `${PAYER_COOKIE}=${payer}; Path=/; SameSite=Lax`);
  return payer;
}

/** A stable identifier derived from its parts (the same payer under the same app, always). */
export function stableId(parts: readonly string[], length: number): string {
  return createHash('sha256').update(parts.join('\0')).digest('base64url').slice(0, length);
}

/** A stable string of `count` digits derived from its parts. */
export function stableDigits(parts: readonly string[], count: number): string {
  const digest = createHash('sha256').update(parts.join('\0')).digest();
  let out = '';
  for (let i = 0; out.length < count; i++) out += String(digest[i % digest.length]! % 10);
  return out;
}

/**
 * The script a simulator serves as /sim/wallet/bridge.js: defines the wallet's JS bridge in the
 * page, so that the pay call navigates to the simulator's wallet page, carrying `return_url` =
 * the page that called. `body` is the bridge's own code; it may use `__simGo(path, params)`.
 */
export function bridgeScript(origin: string, body: string): string {
  return `(function () {
  var SIM = ${JSON.stringify(origin)};
  function __simGo(path, params) {
    var q = [];
    for (var k in params) {
      if (Object.prototype.hasOwnProperty.call(params, k) && params[k] !== undefined && params[k] !== null)
        q.push(encodeURIComponent(k) + '=' + encodeURIComponent(String(params[k])));
    }
    q.push('return_url=' + encodeURIComponent(window.location.href));
    window.location.href = SIM + path + '?' + q.join('&');
  }
${body}
})();
`;
}

export function sendScript(reply: FastifyReply, script: string): FastifyReply {
  return reply
    .code(200)
    .header('cache-control', 'no-store')
    .header('access-control-allow-origin', '*')
    .type('application/javascript; charset=utf-8')
    .send(script);
}
