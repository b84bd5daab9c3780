import { escapeHtml } from '../domain/html.ts';
import { fenToYuan } from '../domain/money.ts';
import type { ChannelName } from '../domain/pay-way.ts';
import { type PageOptions, page, scriptJson } from './html.ts';
import { errorText, type Lang, t } from './i18n.ts';

/**
 * The QR cashier's pages. Each is a function of plain data to HTML, so the routes stay thin and a
 * test can render any page without a server.
 */

export interface PaymentSummary {
  id: string;
  /** Who is paid (the "pay to" line); empty when unknown. */
  merchant_name?: string;
  subject: string;
  amount_fen: number;
  state: string;
}

const WALLET_KEY = {
  wechat: 'wallet_wechat',
  alipay: 'wallet_alipay',
  unionpay: 'wallet_unionpay',
} as const;

export function walletName(lang: Lang, channel: ChannelName): string {
  return t(lang, WALLET_KEY[channel]);
}

function amountBlock(lang: Lang, p: PaymentSummary): string {
  const to = p.merchant_name
    ? `<p class="muted" id="merchant">${escapeHtml(t(lang, 'pay_to'))} ${escapeHtml(p.merchant_name)}</p>`
    : '';
  return `${to}
<h1 id="subject">${escapeHtml(p.subject)}</h1>
<p class="amount" id="amount"><small>¥</small>${fenToYuan(p.amount_fen)}</p>`;
}

/** A browser that is no wallet (or a wallet the shop does not take): which apps can pay, and the code. */
export function chooseWalletPage(
  lang: Lang,
  input: {
    payment: PaymentSummary;
    accepted: ChannelName[];
    /** The wallet the page was opened in when the shop does not take it. */
    refused_wallet: ChannelName | null;
    qr_svg: string;
    /** Demo only: links that make this browser play a wallet. */
    demo_links: Array<{ channel: ChannelName; href: string }>;
  },
  options: PageOptions,
): string {
  const lead = input.refused_wallet
    ? t(lang, 'wallet_not_accepted', { wallet: walletName(lang, input.refused_wallet) })
    : t(lang, 'open_in_wallet');
  const wallets = input.accepted
    .map((c) => `<li data-wallet="${c}">${escapeHtml(walletName(lang, c))}</li>`)
    .join('');
  const demo = input.demo_links.length
    ? `<div class="card" id="demo"><p class="muted">${escapeHtml(t(lang, 'try_in_demo'))}</p>${input.demo_links
        .map(
          (l) =>
            `<p><a class="button secondary" id="demo-${l.channel}" href="${escapeHtml(l.href)}">${escapeHtml(walletName(lang, l.channel))}</a></p>`,
        )
        .join('')}</div>`
    : '';
  const body = `<div class="card">${amountBlock(lang, input.payment)}</div>
<div class="card"><p id="lead" class="${input.refused_wallet ? 'bad' : ''}">${escapeHtml(lead)}</p>
<ul class="wallets" id="wallets">${wallets}</ul>
<div class="qr" id="qr" role="img" aria-label="QR">${input.qr_svg}</div>
<p class="muted">${escapeHtml(t(lang, 'no_wallet_here'))}</p></div>${demo}`;
  return page(lang, t(lang, 'title_cashier'), body, options);
}

/** The in-wallet pay page: hands the channel's parameters to the wallet's JS bridge. */
export function payPage(
  lang: Lang,
  input: {
    payment: PaymentSummary;
    channel: ChannelName;
    credential: Record<string, unknown>;
    status_url: string;
    /** A simulator's bridge script (demo and tests); a real wallet has the bridge built in. */
    bridge_script_url: string | null;
  },
  options: PageOptions,
): string {
  const head = input.bridge_script_url
    ? `<script src="${escapeHtml(input.bridge_script_url)}"></script>`
    : '';
  const data = {
    id: input.payment.id,
    channel: input.channel,
    jsapi: input.credential.jsapi_params ?? null,
    trade_no: input.credential.trade_no ?? null,
    status_url: input.status_url,
    texts: {
      paying: t(lang, 'paying'),
      cancelled: t(lang, 'cancelled_in_wallet'),
      SUCCESS: t(lang, 'state_SUCCESS'),
      CLOSED: t(lang, 'state_CLOSED'),
      FAILED: t(lang, 'state_FAILED'),
      REVERSED: t(lang, 'state_REVERSED'),
      UNKNOWN: t(lang, 'state_UNKNOWN'),
      paid_hint: t(lang, 'result_hint_paid'),
    },
  };
  const body = `<div class="card">${amountBlock(lang, input.payment)}
<p id="state" data-state="${escapeHtml(input.payment.state)}" class="muted">${escapeHtml(t(lang, 'opening_wallet'))}</p>
<p id="hint" class="muted"></p>
<button id="pay" type="button">${escapeHtml(t(lang, 'pay_button'))}</button></div>
<script>${PAY_SCRIPT.replace('__DATA__', scriptJson(data))}</script>`;
  return page(lang, t(lang, 'title_cashier'), body, { ...options, head });
}

/**
 * Calls the wallet's own bridge (WeixinJSBridge getBrandWCPayRequest, AlipayJSBridge tradePay,
 * upsdk.pay), once per visit on its own and again on the button; then watches the payment's state
 * on the gateway, which only the channel's word changes. Polling stops after about ten minutes.
 */
const PAY_SCRIPT = `(function(){
var d=__DATA__,stateEl=document.getElementById('state'),hintEl=document.getElementById('hint'),btn=document.getElementById('pay');
var ENDED={SUCCESS:1,CLOSED:1,FAILED:1,REVERSED:1},polls=0;
function show(s){stateEl.setAttribute('data-state',s);if(d.texts[s]){stateEl.textContent=d.texts[s];}
 if(ENDED[s]){btn.style.display='none';stateEl.className=s==='SUCCESS'?'ok':'bad';if(s==='SUCCESS')hintEl.textContent=d.texts.paid_hint;}}
function poll(){if(polls++>400)return;fetch(d.status_url,{cache:'no-store'}).then(function(r){return r.json()}).then(function(b){show(b.state);if(!ENDED[b.state])setTimeout(poll,1500)}).catch(function(){setTimeout(poll,3000)})}
function done(ok){if(!ok){hintEl.textContent=d.texts.cancelled}stateEl.textContent=d.texts.paying;poll()}
function invoke(){stateEl.textContent=d.texts.paying;
 if(d.channel==='wechat'){var go=function(){WeixinJSBridge.invoke('getBrandWCPayRequest',d.jsapi,function(r){done(r&&r.err_msg==='get_brand_wcpay_request:ok')})};
  if(typeof WeixinJSBridge==='undefined'){document.addEventListener('WeixinJSBridgeReady',go,false)}else{go()}}
 else if(d.channel==='alipay'){var ago=function(){AlipayJSBridge.call('tradePay',{tradeNO:d.trade_no},function(r){done(r&&r.resultCode==='9000')})};
  if(window.AlipayJSBridge){ago()}else{document.addEventListener('AlipayJSBridgeReady',ago,false)}}
 else if(d.channel==='unionpay'){var ugo=function(){upsdk.pay({tn:d.trade_no,success:function(){done(true)},fail:function(){done(false)}})};
  if(window.upsdk&&upsdk.pluginReady){upsdk.pluginReady(ugo)}else if(window.upsdk){ugo()}else{done(false)}}}
btn.addEventListener('click',invoke);
var key='paymux_invoked_'+d.id,first=true;try{first=!sessionStorage.getItem(key);sessionStorage.setItem(key,'1')}catch(e){}
if(first){invoke()}else{poll()}
})();`;

/** A payment's state, kept fresh while it is open. */
export function statePage(
  lang: Lang,
  input: { payment: PaymentSummary; status_url: string },
  options: PageOptions,
): string {
  const s = input.payment.state;
  const key = `state_${s}` as Parameters<typeof t>[1];
  const ended = ['SUCCESS', 'CLOSED', 'FAILED', 'REVERSED'].includes(s);
  const cls = s === 'SUCCESS' ? 'ok' : ended ? 'bad' : 'muted';
  const hint = s === 'SUCCESS' ? t(lang, 'result_hint_paid') : ended ? '' : t(lang, 'result_hint_open');
  const refresh = ended
    ? ''
    : `<script>(function(){var n=0;function p(){if(n++>400)return;fetch(${scriptJson(input.status_url)},{cache:'no-store'}).then(function(r){return r.json()}).then(function(b){if(b.state!==${scriptJson(s)}){location.reload()}else{setTimeout(p,1500)}}).catch(function(){setTimeout(p,3000)})}setTimeout(p,1500)})();</script>`;
  const body = `<div class="card">${amountBlock(lang, input.payment)}
<p id="state" data-state="${escapeHtml(s)}" class="${cls}">${escapeHtml(t(lang, key))}</p>
<p class="muted" id="hint">${escapeHtml(hint)}</p></div>${refresh}`;
  return page(lang, t(lang, 'title_cashier'), body, options);
}

/** Identity capture or payment refused: what happened in the payer's words, and a way back. */
export function failurePage(
  lang: Lang,
  input: { payment: PaymentSummary | null; code: string; retry_url: string | null },
  options: PageOptions,
): string {
  const retry = input.retry_url
    ? `<a class="button" id="retry" href="${escapeHtml(input.retry_url)}">${escapeHtml(t(lang, 'try_again'))}</a>`
    : '';
  const body = `${input.payment ? `<div class="card">${amountBlock(lang, input.payment)}</div>` : ''}
<div class="card"><h1 class="bad">${escapeHtml(t(lang, input.code.startsWith('PAYER_') ? 'identity_failed' : 'cannot_pay'))}</h1>
<p id="error" data-code="${escapeHtml(input.code)}">${escapeHtml(errorText(lang, input.code))}</p>
<p class="muted">${escapeHtml(input.code)}</p>${retry}</div>`;
  return page(lang, t(lang, 'title_cashier'), body, options);
}

export function notFoundPage(lang: Lang, options: PageOptions): string {
  const body = `<div class="card"><h1 id="not-found">${escapeHtml(t(lang, 'not_found'))}</h1>
<p class="muted">${escapeHtml(t(lang, 'not_found_hint'))}</p></div>`;
  return page(lang, t(lang, 'not_found'), body, options);
}

/** A static code (码牌): the payer types the amount, then the cashier takes over. */
export function staticAmountPage(
  lang: Lang,
  input: {
    code_id: string;
    merchant_name: string;
    store_name: string;
    typed: string;
    error_code: string | null;
    /** Keeps the demo's `?wallet=` choice through the form. */
    action: string;
  },
  options: PageOptions,
): string {
  const error = input.error_code
    ? `<p class="error" id="error" data-code="${escapeHtml(input.error_code)}">${escapeHtml(errorText(lang, input.error_code))}</p>`
    : '';
  const body = `<div class="card"><p class="muted">${escapeHtml(t(lang, 'pay_to'))}</p>
<h1 id="merchant">${escapeHtml(input.merchant_name)}</h1><p class="muted" id="store">${escapeHtml(input.store_name)}</p></div>
<form class="card" method="POST" action="${escapeHtml(input.action)}">
<label for="amount">${escapeHtml(t(lang, 'static_amount_label'))}</label>
<input id="amount" name="amount" inputmode="decimal" autocomplete="off" maxlength="12" required
 pattern="^(0|[1-9][0-9]{0,4})(\\.[0-9]{1,2})?$" value="${escapeHtml(input.typed)}" autofocus>
${error}<p><button id="next" type="submit">${escapeHtml(t(lang, 'static_next'))}</button></p></form>`;
  return page(lang, t(lang, 'static_title'), body, options);
}
