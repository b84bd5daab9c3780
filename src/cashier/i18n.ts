/**
 * The payer-facing pages speak zh-CN and en. The language comes from `?lang=`, then the
 * `paymux_lang` cookie (set when the payer switches), then Accept-Language; Chinese by default,
 * because most payers are in China.
 */
export type Lang = 'zh-CN' | 'en';

export const LANG_COOKIE = 'paymux_lang';

export function pickLang(
  query_lang: string | undefined,
  cookie_header: string | undefined,
  accept_language: string | undefined,
): Lang {
  const explicit = normalise(query_lang) ?? normalise(cookieValue(cookie_header, LANG_COOKIE));
  if (explicit) return explicit;
  for (const part of (accept_language ?? '').split(',').slice(0, 20)) {
    const tag = part.split(';')[0]?.trim().toLowerCase() ?? '';
    if (tag.startsWith('zh')) return 'zh-CN';
    if (tag.startsWith('en')) return 'en';
  }
  return 'zh-CN';
}

function normalise(value: string | undefined): Lang | null {
  if (!value) return null;
  const v = value.toLowerCase();
  if (v === 'en' || v.startsWith('en-')) return 'en';
  if (v === 'zh' || v.startsWith('zh-')) return 'zh-CN';
  return null;
}

export function cookieValue(cookie_header: string | undefined, name: string): string | undefined {
  if (!cookie_header) return undefined;
  for (const pair of cookie_header.split(';').slice(0, 50)) {
    const eq = pair.indexOf('=');
    if (eq > 0 && pair.slice(0, eq).trim() === name) return decodeURIComponent(pair.slice(eq + 1).trim());
  }
  return undefined;
}

const EN = {
  title_cashier: 'Pay',
  pay_to: 'Pay to',
  amount: 'Amount',
  open_in_wallet: 'Scan this code with one of these apps to pay:',
  no_wallet_here: 'This page cannot take payments in this browser.',
  try_in_demo: 'Demo: pretend this browser is',
  wallet_wechat: 'WeChat Pay',
  wallet_alipay: 'Alipay',
  wallet_unionpay: 'UnionPay Cloud QuickPass',
  wallet_not_accepted: 'This shop does not take {wallet}. Pay with:',
  pay_button: 'Pay',
  paying: 'Waiting for your wallet…',
  opening_wallet: 'Opening the payment in your wallet…',
  state_SUCCESS: 'Paid',
  state_CLOSED: 'This payment is closed',
  state_FAILED: 'The payment failed',
  state_REVERSED: 'This payment was cancelled',
  state_PENDING: 'Waiting for the payment…',
  state_CREATED: 'Waiting for the payment…',
  state_UNKNOWN: 'Checking the payment with the wallet…',
  result_hint_paid: 'You can close this page.',
  result_hint_open: 'This page updates by itself.',
  try_again: 'Try again',
  identity_failed: 'We could not confirm who is paying',
  cannot_pay: 'This payment cannot be made here',
  not_found: 'No such payment',
  not_found_hint: 'The link is wrong or the code has been replaced. Ask the shop for a new code.',
  static_title: 'Enter the amount',
  static_amount_label: 'Amount (yuan)',
  static_next: 'Next',
  static_disabled: 'This code is no longer in use.',
  language_other: '中文',
  cancelled_in_wallet: 'The payment was not completed in the wallet.',
} as const;

export type MessageKey = keyof typeof EN;

const ZH: Record<MessageKey, string> = {
  title_cashier: '付款',
  pay_to: '付款给',
  amount: '金额',
  open_in_wallet: '请用以下应用扫码付款：',
  no_wallet_here: '当前浏览器无法付款。',
  try_in_demo: '演示：把当前浏览器当作',
  wallet_wechat: '微信支付',
  wallet_alipay: '支付宝',
  wallet_unionpay: '云闪付',
  wallet_not_accepted: '本店不支持{wallet}，请使用：',
  pay_button: '立即付款',
  paying: '正在等待钱包确认…',
  opening_wallet: '正在打开钱包付款…',
  state_SUCCESS: '支付成功',
  state_CLOSED: '订单已关闭',
  state_FAILED: '支付失败',
  state_REVERSED: '订单已撤销',
  state_PENDING: '等待付款…',
  state_CREATED: '等待付款…',
  state_UNKNOWN: '正在向钱包确认支付结果…',
  result_hint_paid: '可以关闭本页面。',
  result_hint_open: '本页面会自动刷新。',
  try_again: '重试',
  identity_failed: '无法确认付款人身份',
  cannot_pay: '无法完成付款',
  not_found: '订单不存在',
  not_found_hint: '链接有误或收款码已更换，请向商家索取新的收款码。',
  static_title: '输入金额',
  static_amount_label: '金额（元）',
  static_next: '下一步',
  static_disabled: '该收款码已停用。',
  language_other: 'English',
  cancelled_in_wallet: '钱包中未完成付款。',
};

/** What each payer-facing error says, in the payer's words (the catalogue speaks to developers). */
const ERRORS_EN: Record<string, string> = {
  PAYER_AUTH_DENIED: 'You did not allow the wallet to share your account. Open the code again and allow it.',
  PAYER_AUTH_CODE_MISSING: 'The wallet came back without the authorisation. Open the code again.',
  PAYER_AUTH_CODE_REUSED: 'This authorisation was already used (the page was reloaded). Open the code again.',
  PAYER_AUTH_CODE_INVALID: 'The authorisation has expired. Open the code again.',
  PAYER_IDENTITY_MISSING: 'The wallet did not tell us your account. Nothing was charged; please try again.',
  PAYER_AUTH_UNAVAILABLE: 'The wallet did not answer in time. Nothing was charged; please try again.',
  PAYER_AUTH_STATE_INVALID: 'This page was opened in another session. Open the code again.',
  PAYER_AUTH_NOT_CONFIGURED: 'The shop cannot take this wallet at the moment. Please use another app.',
  CASHIER_WALLET_NOT_ACCEPTED: 'The shop does not take this wallet. Please use another app.',
  CASHIER_PAYMENT_TAKEN: 'Someone else is already paying this order.',
  CASHIER_PAYMENT_ENDED: 'This order has ended. Ask the shop for a new code.',
  STATIC_CODE_AMOUNT_INVALID: 'Type an amount from 0.01 to 50000.00 yuan, with at most two decimals.',
  STATIC_CODE_NOT_FOUND: 'This code is no longer in use.',
};

const ERRORS_ZH: Record<string, string> = {
  PAYER_AUTH_DENIED: '您未授权钱包提供账户信息，请重新扫码并允许授权。',
  PAYER_AUTH_CODE_MISSING: '钱包未返回授权信息，请重新扫码。',
  PAYER_AUTH_CODE_REUSED: '授权已被使用（页面可能被刷新），请重新扫码。',
  PAYER_AUTH_CODE_INVALID: '授权已过期，请重新扫码。',
  PAYER_IDENTITY_MISSING: '钱包未提供您的账户信息，未扣款，请重试。',
  PAYER_AUTH_UNAVAILABLE: '钱包响应超时，未扣款，请重试。',
  PAYER_AUTH_STATE_INVALID: '页面会话已失效，请重新扫码。',
  PAYER_AUTH_NOT_CONFIGURED: '商家暂不支持该钱包，请使用其他应用。',
  CASHIER_WALLET_NOT_ACCEPTED: '商家不支持该钱包，请使用其他应用。',
  CASHIER_PAYMENT_TAKEN: '该订单正在由他人支付。',
  CASHIER_PAYMENT_ENDED: '该订单已结束，请向商家索取新的收款码。',
  STATIC_CODE_AMOUNT_INVALID: '请输入 0.01 至 50000.00 元之间的金额，最多两位小数。',
  STATIC_CODE_NOT_FOUND: '该收款码已停用。',
};

export function t(lang: Lang, key: MessageKey, vars: Record<string, string> = {}): string {
  const text = lang === 'en' ? EN[key] : ZH[key];
  return text.replace(/\{(\w+)\}/g, (_m, name: string) => vars[name] ?? '');
}

export function errorText(lang: Lang, code: string): string {
  const table = lang === 'en' ? ERRORS_EN : ERRORS_ZH;
  return table[code] ?? (lang === 'en' ? 'Something went wrong; please try again.' : '出错了，请重试。');
}

/** Every key is translated: a test walks both tables. */
export const MESSAGE_TABLES = { en: EN, 'zh-CN': ZH, errors_en: ERRORS_EN, errors_zh: ERRORS_ZH };
