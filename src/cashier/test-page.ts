import { escapeHtml } from '../domain/html.ts';
import { page, scriptJson } from './html.ts';
import type { Lang } from './i18n.ts';

/**
 * The payment test page: an operator (or a newcomer running the demo) picks a pay way and an
 * amount, sees the QR code or types a payment code, and watches the state change. It talks to the
 * ordinary signed merchant API from the browser (HMAC with WebCrypto), so it needs no powers the
 * merchant API does not already give; the app secret stays in this tab.
 */
export interface TestPageInput {
  /** Prefilled in the demo only. */
  app_id: string;
  app_secret: string;
  notify_url: string;
  /** Demo: where each simulator's wallet "scans" a QR code. */
  wallet_scan_urls: Record<string, string>;
  demo: boolean;
}

const TEXT = {
  en: {
    title: 'Payment test',
    app_id: 'App id',
    app_secret: 'App secret (stays in this tab)',
    pay_way: 'Pay way',
    amount: 'Amount (yuan)',
    auth_code: 'Payment code (for *_BAR / AUTO_BAR)',
    notify_url: 'notify_url (optional)',
    create: 'Create payment',
    state: 'State',
    scan_with: 'Demo: scan with the simulated',
    open_cashier: 'Open the cashier',
    insecure: 'This page signs requests with WebCrypto, which needs https or localhost.',
  },
  'zh-CN': {
    title: '支付测试',
    app_id: '应用 ID',
    app_secret: '应用密钥（仅保存在本页）',
    pay_way: '支付方式',
    amount: '金额（元）',
    auth_code: '付款码（*_BAR / AUTO_BAR）',
    notify_url: '通知地址（可选）',
    create: '创建订单',
    state: '状态',
    scan_with: '演示：用模拟钱包扫码',
    open_cashier: '打开收银台',
    insecure: '本页用 WebCrypto 签名请求，需要 https 或 localhost。',
  },
} as const;

const PAY_WAYS = ['WX_NATIVE', 'ALI_QR', 'UP_QR', 'QR_CASHIER', 'AUTO_BAR', 'WX_BAR', 'ALI_BAR', 'UP_BAR'];

export function testPage(lang: Lang, input: TestPageInput): string {
  const x = TEXT[lang];
  const options = PAY_WAYS.map((w) => `<option value="${w}">${w}</option>`).join('');
  const body = `<div class="card"><h1>${escapeHtml(x.title)}</h1>
<p id="insecure" class="error" hidden>${escapeHtml(x.insecure)}</p>
<label for="app_id">${escapeHtml(x.app_id)}</label><input id="app_id" value="${escapeHtml(input.app_id)}" style="font-size:16px">
<label for="app_secret">${escapeHtml(x.app_secret)}</label><input id="app_secret" type="password" value="${escapeHtml(input.app_secret)}" style="font-size:16px">
<label for="pay_way">${escapeHtml(x.pay_way)}</label><select id="pay_way" style="width:100%;font-size:18px;padding:8px">${options}</select>
<label for="amount">${escapeHtml(x.amount)}</label><input id="amount" value="0.01" inputmode="decimal">
<label for="auth_code">${escapeHtml(x.auth_code)}</label><input id="auth_code" inputmode="numeric" style="font-size:18px">
<label for="notify_url">${escapeHtml(x.notify_url)}</label><input id="notify_url" value="${escapeHtml(input.notify_url)}" style="font-size:14px">
<p class="error" id="error"></p>
<p><button id="create" type="button">${escapeHtml(x.create)}</button></p></div>
<div class="card" id="result" hidden>
<p class="muted" id="payment-id"></p>
<p>${escapeHtml(x.state)}: <strong id="state"></strong></p>
<ol id="timeline" class="muted"></ol>
<img id="qr" class="qr" alt="QR" hidden>
<p id="links"></p></div>
<script>${TEST_SCRIPT.replace('__DATA__', scriptJson({ wallets: input.wallet_scan_urls, demo: input.demo, texts: { scan_with: x.scan_with, open_cashier: x.open_cashier } }))}</script>`;
  return page(lang, x.title, body, { self: { path: '/test' } });
}

const TEST_SCRIPT = `(function(){
var cfg=__DATA__,$=function(id){return document.getElementById(id)};
if(!window.crypto||!crypto.subtle){$('insecure').hidden=false;$('create').disabled=true;return}
var CHANNEL={WX:'wechat',ALI:'alipay',UP:'unionpay'};
function hex(buf){return Array.prototype.map.call(new Uint8Array(buf),function(b){return('0'+b.toString(16)).slice(-2)}).join('')}
function nonce(){var a=new Uint8Array(16);crypto.getRandomValues(a);return hex(a.buffer)}
function call(method,path,body){
 var secret=$('app_secret').value,ts=String(Math.floor(Date.now()/1000)),n=nonce(),text=body?JSON.stringify(body):'';
 var msg=method+'\\n'+path+'\\n'+ts+'\\n'+n+'\\n'+text+'\\n',enc=new TextEncoder();
 return crypto.subtle.importKey('raw',enc.encode(secret),{name:'HMAC',hash:'SHA-256'},false,['sign']).then(function(k){return crypto.subtle.sign('HMAC',k,enc.encode(msg))}).then(function(sig){
  var h={'paymux-app-id':$('app_id').value,'paymux-timestamp':ts,'paymux-nonce':n,'paymux-signature':hex(sig)};
  if(body){h['content-type']='application/json';h['idempotency-key']=nonce()}
  return fetch(path,{method:method,headers:h,body:body?text:undefined}).then(function(r){return r.json().then(function(j){return{status:r.status,body:j}})})})}
function toFen(y){var m=/^(0|[1-9]\\d{0,9})(?:\\.(\\d{1,2}))?$/.exec(y.trim());return m?Number(m[1])*100+Number((m[2]||'').padEnd(2,'0')):null}
var ENDED={SUCCESS:1,CLOSED:1,FAILED:1,REVERSED:1},last=null,timer=null,polls=0;
function show(p){if(p.state!==last){last=p.state;var li=document.createElement('li');li.textContent=new Date().toLocaleTimeString()+' '+p.state;$('timeline').appendChild(li)}
 $('state').textContent=p.state;$('state').setAttribute('data-state',p.state)}
function watch(id){clearTimeout(timer);polls=0;(function tick(){if(polls++>600)return;call('GET','/v1/payments/'+id).then(function(r){if(r.status===200){show(r.body);if(ENDED[r.body.state])return}timer=setTimeout(tick,1000)}).catch(function(){timer=setTimeout(tick,2000)})})()}
function link(href,text,id){var a=document.createElement('a');a.href=href;a.textContent=text;a.id=id;a.className='button secondary';a.target='_blank';a.rel='noopener';var p=document.createElement('p');p.appendChild(a);$('links').appendChild(p)}
$('create').addEventListener('click',function(){
 $('error').textContent='';var way=$('pay_way').value,fen=toFen($('amount').value);
 if(fen===null||fen<1){$('error').textContent='amount';return}
 var body={merchant_order_no:'test-'+Date.now()+'-'+nonce().slice(0,6),pay_way:way,amount:fen,subject:'Paymux test'};
 if(/BAR$/.test(way))body.auth_code=$('auth_code').value.trim();
 if($('notify_url').value.trim())body.notify_url=$('notify_url').value.trim();
 call('POST','/v1/payments',body).then(function(r){
  if(r.status>=300){$('error').textContent=r.body.error?r.body.error.code+': '+r.body.error.message:'HTTP '+r.status;return}
  var p=r.body;$('result').hidden=false;$('payment-id').textContent=p.id;$('timeline').innerHTML='';$('links').innerHTML='';last=null;show(p);
  if(p.code_url){$('qr').src='/qr/'+p.id+'.svg';$('qr').hidden=false}else{$('qr').hidden=true}
  if(way==='QR_CASHIER'){link(p.code_url,cfg.texts.open_cashier,'open-cashier');
   if(cfg.demo){Object.keys(cfg.wallets).forEach(function(c){link('/cashier/'+p.id+'?wallet='+c,cfg.texts.scan_with+' '+c,'demo-'+c)})}}
  else if(p.code_url&&cfg.demo){var c=CHANNEL[way.split('_')[0]];if(cfg.wallets[c])link(cfg.wallets[c]+'?code='+encodeURIComponent(p.code_url),cfg.texts.scan_with+' '+c,'scan')}
  watch(p.id)}).catch(function(e){$('error').textContent=String(e)})});
})();`;
