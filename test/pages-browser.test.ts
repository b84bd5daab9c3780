import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PaymentView } from '../src/services/payment-view.ts';
import type { StaticCodeView } from '../src/services/static-codes.ts';
import { findPaymentById } from '../src/storage/repositories/payments.ts';
import { browserAvailable, launchBrowser, phoneContext, screenshot, WALLET_UA } from './support/browser.ts';
import { type Harness, startHarness } from './support/harness.ts';

const has_browser = browserAvailable();

/**
 * The payer's and operator's pages in a real browser (Debian Chromium), on a phone-sized viewport:
 * the cashier outside any wallet, a static code with a typed amount, and the payment test page.
 */
describe.skipIf(!has_browser)('pages in a browser', () => {
  let h: Harness;
  let browser: Browser;

  beforeAll(async () => {
    h = await startHarness('sqlite', { start_jobs: true });
    // The pages are served to the browser by the gateway itself.
    h.gateway.gw.settings.public_url = h.gateway_url;
    browser = await launchBrowser();
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await h?.close();
  });

  it('outside any wallet, the cashier lists the apps that can pay and shows the code', async () => {
    const p = (
      await h.client.request<PaymentView>('POST', '/v1/payments', {
        merchant_order_no: 'browser-chooser-1',
        pay_way: 'QR_CASHIER',
        amount: 880,
        subject: 'Tea',
      })
    ).body;
    const context = await phoneContext(browser, WALLET_UA.desktop, 'en-US');
    const page = await context.newPage();
    await page.goto(p.code_url!);
    await expect.poll(() => page.textContent('#amount')).toContain('8.80');
    expect(await page.textContent('#wallets')).toContain('WeChat Pay');
    expect(await page.locator('#qr svg').count()).toBe(1);
    await screenshot(page, 'cashier-desktop-chooser-en');
    await page.click('#lang-switch');
    await expect.poll(() => page.textContent('#lead')).toContain('扫码');
    await screenshot(page, 'cashier-desktop-chooser-zh');
    await context.close();
  });

  it('a static code takes a typed amount, refuses a bad one, and opens the cashier', async () => {
    const code = (await h.client.request<StaticCodeView>('POST', '/v1/static-codes', { name: 'Front till' }))
      .body;
    const context = await phoneContext(browser, WALLET_UA.desktop, 'en-US');
    const page = await context.newPage();
    await page.goto(code.url);
    expect(await page.textContent('#store')).toBe('Front till');
    // The browser's own pattern check would stop "12.345"; the server must refuse it too.
    await page.locator('#amount').evaluate((input) => input.removeAttribute('pattern'));
    await page.fill('#amount', '12.345');
    await page.click('#next');
    await expect.poll(() => page.getAttribute('#error', 'data-code')).toBe('STATIC_CODE_AMOUNT_INVALID');
    await screenshot(page, 'static-code-amount-refused');
    await page.fill('#amount', '12.50');
    await page.click('#next');
    await page.waitForURL(/\/cashier\/pay_/);
    expect(await page.textContent('#amount')).toContain('12.50');
    expect(await page.textContent('#subject')).toBe('Front till');
    const id = /\/cashier\/(pay_\w+)/.exec(page.url())![1]!;
    const payment = (await findPaymentById(h.gateway.gw.store.db, id))!;
    expect(payment.amount_fen).toBe(1250);
    await screenshot(page, 'static-code-to-cashier');
    await context.close();
  });

  it('the test page creates a payment with a signed request and shows it turn SUCCESS', async () => {
    h.gateway.gw.settings.demo = {
      app_id: h.merchant.app_id,
      app_secret: h.merchant.app_secret,
      notify_url: h.receiver.url,
      wallet_scan_urls: {},
    };
    const context = await phoneContext(browser, WALLET_UA.desktop, 'en-US');
    const page = await context.newPage();
    await page.goto(`${h.gateway_url}/test`);
    await page.selectOption('#pay_way', 'WX_NATIVE');
    await page.fill('#amount', '0.05');
    await page.click('#create');
    await expect.poll(() => page.getAttribute('#state', 'data-state'), { timeout: 10_000 }).toBe('PENDING');
    expect(await page.isVisible('#qr')).toBe(true);
    const id = (await page.textContent('#payment-id'))!;
    await screenshot(page, 'test-page-pending');
    expect(h.sim.pay(id).ok).toBe(true);
    await h.sim.deliverDueNotifications();
    await expect.poll(() => page.getAttribute('#state', 'data-state'), { timeout: 10_000 }).toBe('SUCCESS');
    expect(await page.textContent('#timeline')).toMatch(/PENDING[\s\S]*SUCCESS/);
    await screenshot(page, 'test-page-success');

    // A wrong secret is the merchant API's ordinary refusal, shown as such.
    await page.fill('#app_secret', 'not-the-secret');
    await page.click('#create');
    await expect.poll(() => page.textContent('#error')).toContain('AUTH_SIGNATURE_INVALID');
    h.gateway.gw.settings.demo = undefined;
    await context.close();
  });
});
