import { describe, expect, it } from 'vitest';
import { ERROR_CATALOGUE } from '../domain/errors.ts';
import { scriptJson } from './html.ts';
import { errorText, MESSAGE_TABLES, pickLang } from './i18n.ts';
import { chooseWalletPage, failurePage, payPage, statePage, staticAmountPage } from './pages.ts';

const self = { self: { path: '/cashier/pay_X', query: { wallet: 'wechat' } } };
const hostile = { id: 'pay_X', subject: '<script>alert(1)</script>"\'&', amount_fen: 1, state: 'CREATED' };

describe('payer pages', () => {
  it('picks the language from ?lang, then the cookie, then Accept-Language; Chinese by default', () => {
    expect(pickLang('en', 'paymux_lang=zh-CN', 'zh')).toBe('en');
    expect(pickLang(undefined, 'a=1; paymux_lang=en', 'zh-CN')).toBe('en');
    expect(pickLang(undefined, undefined, 'en-GB,en;q=0.9,zh;q=0.5')).toBe('en');
    expect(pickLang(undefined, undefined, 'zh-TW,en;q=0.5')).toBe('zh-CN');
    expect(pickLang(undefined, undefined, 'fr-FR')).toBe('zh-CN');
    expect(pickLang('xx', undefined, undefined)).toBe('zh-CN');
  });

  it('has every text in both languages, and a payer-facing text for each cashier error', () => {
    expect(Object.keys(MESSAGE_TABLES['zh-CN']).sort()).toEqual(Object.keys(MESSAGE_TABLES.en).sort());
    expect(Object.keys(MESSAGE_TABLES.errors_zh).sort()).toEqual(
      Object.keys(MESSAGE_TABLES.errors_en).sort(),
    );
    const payer_errors = Object.keys(ERROR_CATALOGUE).filter(
      (c) => c.startsWith('PAYER_') || c.startsWith('CASHIER_') || c.startsWith('STATIC_CODE_'),
    );
    for (const code of payer_errors) {
      expect(MESSAGE_TABLES.errors_en[code], code).toBeTruthy();
      expect(errorText('zh-CN', code)).not.toBe(errorText('zh-CN', 'NO_SUCH_CODE'));
    }
  });

  it('escapes whatever the merchant or payer wrote, in HTML and in scripts', () => {
    const pages = [
      chooseWalletPage(
        'en',
        {
          payment: hostile,
          accepted: ['wechat'],
          refused_wallet: null,
          qr_svg: '<svg></svg>',
          demo_links: [],
        },
        self,
      ),
      statePage('en', { payment: hostile, status_url: '/cashier/pay_X/status' }, self),
      failurePage('en', { payment: hostile, code: 'PAYER_AUTH_DENIED', retry_url: '/cashier/pay_X' }, self),
      payPage(
        'zh-CN',
        {
          payment: hostile,
          channel: 'wechat',
          credential: { jsapi_params: { package: '</script><script>alert(2)</script>' } },
          status_url: '/s',
          bridge_script_url: null,
        },
        self,
      ),
      staticAmountPage(
        'en',
        {
          code_id: 'sc_X',
          merchant_name: '<b>m</b>',
          store_name: '<i>s</i>',
          typed: '"><script>',
          error_code: null,
          action: '/c/sc_X',
        },
        self,
      ),
    ];
    for (const page of pages) {
      expect(page).not.toContain('<script>alert');
      expect(page).not.toContain('<b>m</b>');
      expect(page).not.toContain('"><script>');
    }
    expect(scriptJson({ a: '</script>' })).toBe('{"a":"\\u003c/script\\u003e"}');
  });

  it('keeps the query but swaps the language in the switch link', () => {
    const page = statePage('en', { payment: { ...hostile, subject: 's' }, status_url: '/s' }, self);
    expect(page).toContain('href="/cashier/pay_X?wallet=wechat&amp;lang=zh"');
  });
});
