import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type GatewayRuntime, openGateway } from '../src/boot/open-gateway.ts';
import { loadConfig } from '../src/config/env.ts';
import { type DemoInstallation, startDemoInstallation } from '../src/demo/installation.ts';
import { alipaySimulatorAppOf } from '../src/demo/seed-alipay.ts';
import type { ChannelName } from '../src/domain/pay-way.ts';
import { PaymuxClient } from '../src/sdk/client.ts';
import { payWithWallet } from '../src/services/cashier-payment.ts';
import type { PaymentView } from '../src/services/payment-view.ts';
import { listEventsOfPayment } from '../src/storage/repositories/events.ts';
import { findPaymentById } from '../src/storage/repositories/payments.ts';
import { browserAvailable, launchBrowser, phoneContext, screenshot, WALLET_UA } from './support/browser.ts';

const has_browser = browserAvailable();

/**
 * The QR cashier end to end, in Debian Chromium on a phone-sized viewport, against the same demo
 * installation `npm start` runs (three simulators, a merchant with an account on each, the demo
 * shop that checks each notification's signature). Each wallet's User-Agent goes through its
 * authorisation, the in-wallet order, the simulator's wallet page and back to SUCCESS and a signed
 * merchant event; identity-capture failures end on a clear page and a typed event.
 */
describe.skipIf(!has_browser)('QR cashier in a browser', () => {
  let dir: string;
  let runtime: GatewayRuntime;
  let demo: DemoInstallation;
  let gateway_url: string;
  let client: PaymuxClient;
  let browser: Browser;
  const shop_lines: string[] = [];
  let seq = 0;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'paymux-cashier-'));
    const config = loadConfig({
      DATABASE_URL: join(dir, 'paymux.sqlite'),
      PAYMUX_DATA_DIR: dir,
      PAYMUX_LOG_LEVEL: process.env.PAYMUX_TEST_LOG_LEVEL ?? 'silent',
      PAYMUX_PORT: '0',
    });
    runtime = await openGateway({ config, start_jobs: true });
    gateway_url = await runtime.http.listen({ host: '127.0.0.1', port: 0 });
    runtime.gw.settings.public_url = gateway_url;
    demo = await startDemoInstallation(runtime, config, gateway_url, (line) => shop_lines.push(line));
    client = new PaymuxClient({
      base_url: gateway_url,
      app_id: demo.demo.app_id,
      secret: demo.demo.app_secret,
    });
    browser = await launchBrowser();
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await demo?.close();
    await runtime?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  async function createCashier(amount = 1288): Promise<PaymentView> {
    const res = await client.request<PaymentView>('POST', '/v1/payments', {
      merchant_order_no: `cashier-browser-${++seq}`,
      pay_way: 'QR_CASHIER',
      amount,
      subject: 'Hotpot for two',
      notify_url: `${demo.shop_url}/notify`,
    });
    expect(res.status).toBe(201);
    return res.body;
  }
  const rowOf = async (id: string) => (await findPaymentById(runtime.gw.store.db, id))!;
  const shopGot = (type: string, id: string) =>
    shop_lines.some((l) => l.includes(`${type} for ${id}`) && l.includes('signature valid'));

  async function inWallet(wallet: ChannelName): Promise<{ context: BrowserContext; page: Page }> {
    const context = await phoneContext(browser, WALLET_UA[wallet]);
    return { context, page: await context.newPage() };
  }

  const IDENTITY_KEY: Record<ChannelName, string> = {
    wechat: 'wechat_openid',
    alipay: 'alipay_buyer_id',
    unionpay: 'unionpay_user_auth_code',
  };

  it.each<ChannelName>(['wechat', 'alipay', 'unionpay'])(
    'a payer in %s scans, is identified, pays in the wallet, and the merchant is told',
    async (wallet) => {
      const p = await createCashier();
      const { context, page } = await inWallet(wallet);
      await page.goto(p.code_url!);
      // Authorisation, the in-wallet order and the pay page's bridge call lead to the wallet.
      await page.waitForURL(/\/sim\/wallet\/jsapi/, { timeout: 20_000 });
      expect(await page.textContent('#amount')).toContain('12.88');
      await screenshot(page, `cashier-${wallet}-1-wallet`);
      await page.click('#pay');
      // The pay page, or the result page it redirects to when the channel's notification came first.
      await page.waitForURL(new RegExp(`/cashier/${p.id}(/pay)?([?#]|$)`), { timeout: 20_000 });
      await expect.poll(() => page.getAttribute('#state', 'data-state'), { timeout: 20_000 }).toBe('SUCCESS');
      await screenshot(page, `cashier-${wallet}-2-paid`);

      const row = await rowOf(p.id);
      expect(row.state).toBe('SUCCESS');
      expect(row.channel).toBe(wallet);
      const payer = JSON.parse(row.payer_json!) as Record<string, string>;
      expect(Object.keys(payer)).toEqual([IDENTITY_KEY[wallet]]);
      expect(payer[IDENTITY_KEY[wallet]]).toMatch(/^[\w-]{6,}$/);
      await expect.poll(() => shopGot('payment.succeeded', p.id), { timeout: 20_000 }).toBe(true);
      await context.close();
    },
    60_000,
  );

  it('an Alipay app that answers open_id instead of user_id pays with the open_id, never "undefined"', async () => {
    const account_id = demo.demo.alipay_account_id!;
    const app = await alipaySimulatorAppOf(runtime.gw, account_id);
    demo.sims.alipay.sim.registerApp({ ...app, identity_mode: 'open_id' });
    try {
      const p = await createCashier(300);
      const { context, page } = await inWallet('alipay');
      await page.goto(p.code_url!);
      await page.waitForURL(/\/sim\/wallet\/jsapi/, { timeout: 20_000 });
      await page.click('#pay');
      await expect.poll(() => page.getAttribute('#state', 'data-state'), { timeout: 20_000 }).toBe('SUCCESS');
      const payer = JSON.parse((await rowOf(p.id)).payer_json!) as Record<string, string>;
      expect(Object.keys(payer)).toEqual(['alipay_open_id']);
      expect(payer.alipay_open_id).not.toMatch(/^(undefined|null|)$/);
      await context.close();
    } finally {
      demo.sims.alipay.sim.registerApp(app);
    }
  }, 60_000);

  async function expectFailure(page: Page, id: string, code: string): Promise<void> {
    await expect.poll(() => page.getAttribute('#error', 'data-code'), { timeout: 20_000 }).toBe(code);
    await expect
      .poll(async () => {
        const events = await listEventsOfPayment(runtime.gw.store.db, id);
        return events.some(
          (e) => e.type === 'payment.payer_identity_failed' && e.payload_json.includes(code),
        );
      })
      .toBe(true);
    expect((await rowOf(id)).state).toBe('CREATED');
    expect((await rowOf(id)).payer_json).toBeNull();
  }

  it('OAuth denied ends on a clear page and a typed event; trying again then pays', async () => {
    const p = await createCashier(500);
    const { context, page } = await inWallet('wechat');
    demo.sims.wechat.sim.denyNextAuthorization();
    await page.goto(p.code_url!);
    await expectFailure(page, p.id, 'PAYER_AUTH_DENIED');
    expect(await page.textContent('#error')).toContain('授权');
    await screenshot(page, 'cashier-wechat-denied');
    await expect.poll(() => shopGot('payment.payer_identity_failed', p.id), { timeout: 20_000 }).toBe(true);
    await page.click('#retry');
    await page.waitForURL(/\/sim\/wallet\/jsapi/, { timeout: 20_000 });
    await page.click('#pay');
    await expect.poll(() => page.getAttribute('#state', 'data-state'), { timeout: 20_000 }).toBe('SUCCESS');
    await context.close();
  }, 60_000);

  it('a reused authorisation code (a reload of the callback) ends on a clear page and a typed event', async () => {
    const p = await createCashier(600);
    const { context, page } = await inWallet('wechat');
    let callback = '';
    page.on('request', (r) => {
      if (r.url().includes(`/cashier/${p.id}/auth/wechat?`)) callback = r.url();
    });
    await page.goto(p.code_url!);
    await page.waitForURL(/\/sim\/wallet\/jsapi/, { timeout: 20_000 });
    expect(callback).toContain('code=');
    await page.goto(callback);
    await expect
      .poll(() => page.getAttribute('#error', 'data-code'), { timeout: 20_000 })
      .toBe('PAYER_AUTH_CODE_REUSED');
    const events = await listEventsOfPayment(runtime.gw.store.db, p.id);
    expect(events.some((e) => e.payload_json.includes('PAYER_AUTH_CODE_REUSED'))).toBe(true);
    // The payer it was bound to keeps it: nothing was unbound or charged twice.
    expect((await rowOf(p.id)).channel).toBe('wechat');
    await screenshot(page, 'cashier-wechat-code-reused');
    await context.close();
  }, 60_000);

  it('a callback without its code, or carried to another browser, is refused with a typed event', async () => {
    const p = await createCashier(700);
    const { context, page } = await inWallet('wechat');
    await page.goto(`${gateway_url}/cashier/${p.id}/auth/wechat`);
    await expectFailure(page, p.id, 'PAYER_AUTH_CODE_MISSING');
    await page.goto(`${gateway_url}/cashier/${p.id}/auth/wechat?code=0a1b2c3d&state=forged`);
    await expectFailure(page, p.id, 'PAYER_AUTH_STATE_INVALID');
    await screenshot(page, 'cashier-state-invalid');
    await context.close();
  }, 60_000);

  it('a UnionPay user auth code used for a second order is refused by the channel; the payment stays open', async () => {
    const up = demo.sims.unionpay.url;
    const auth = await fetch(
      `${up}/qrcGtwWeb-web/api/userAuth?version=1.0.0&redirectUrl=${encodeURIComponent(`${gateway_url}/x?state=s`)}`,
      { redirect: 'manual' },
    );
    const code = new URL(auth.headers.get('location')!).searchParams.get('userAuthCode')!;
    expect(code).toBeTruthy();
    const first = await createCashier(800);
    const second = await createCashier(801);
    const paid = await payWithWallet(runtime.gw, first.id, 'unionpay', { unionpay_user_auth_code: code });
    expect(paid.kind).toBe('pay');
    const reused = await payWithWallet(runtime.gw, second.id, 'unionpay', { unionpay_user_auth_code: code });
    expect(reused).toMatchObject({ kind: 'refused', code: 'PAYER_AUTH_CODE_REUSED' });
    const row = await rowOf(second.id);
    expect(row.state).toBe('CREATED');
    expect(row.channel).toBe('');
    expect(row.payer_json).toBeNull();
  });

  it('a browser that is no wallet is shown the apps that can pay, all three', async () => {
    const p = await createCashier(900);
    const context = await phoneContext(browser, WALLET_UA.desktop);
    const page = await context.newPage();
    await page.goto(p.code_url!);
    const wallets = await page
      .locator('#wallets li')
      .evaluateAll((lis) => lis.map((li) => li.getAttribute('data-wallet')));
    expect(wallets).toEqual(['wechat', 'alipay', 'unionpay']);
    await screenshot(page, 'cashier-no-wallet');
    await context.close();
  });

  it('a static code: any wallet, a typed amount, paid', async () => {
    const code_id = demo.demo.static_code_id!;
    const { context, page } = await inWallet('alipay');
    await page.goto(`${gateway_url}/c/${code_id}`);
    await screenshot(page, 'static-code-alipay-amount');
    await page.fill('#amount', '23.45');
    await page.click('#next');
    await page.waitForURL(/\/sim\/wallet\/jsapi/, { timeout: 20_000 });
    expect(await page.textContent('#amount')).toContain('23.45');
    await page.click('#pay');
    await expect.poll(() => page.getAttribute('#state', 'data-state'), { timeout: 20_000 }).toBe('SUCCESS');
    // Back from the wallet on the pay page, or already on the result page it redirects to once the
    // payment has ended (the channel's notification may arrive before the payer's browser does).
    const id = /\/cashier\/(pay_\w+)(?:\/pay)?(?:[?#]|$)/.exec(page.url())![1]!;
    const row = await rowOf(id);
    expect(row.amount_fen).toBe(2345);
    expect(JSON.parse(row.metadata_json!)).toEqual({ static_code_id: code_id });
    await expect.poll(() => shopGot('payment.succeeded', id), { timeout: 20_000 }).toBe(true);
    await screenshot(page, 'static-code-alipay-paid');
    await context.close();
  }, 60_000);

  it('the test page: a newcomer creates a WX_NATIVE payment, "scans" it with the simulated wallet, sees SUCCESS', async () => {
    const context = await phoneContext(browser, WALLET_UA.desktop, 'en-US');
    const page = await context.newPage();
    await page.goto(`${gateway_url}/test`);
    await page.selectOption('#pay_way', 'WX_NATIVE');
    await page.click('#create');
    await expect.poll(() => page.getAttribute('#state', 'data-state'), { timeout: 20_000 }).toBe('PENDING');
    const [wallet_page] = await Promise.all([context.waitForEvent('page'), page.click('#scan')]);
    await wallet_page.waitForLoadState();
    await wallet_page.click('#pay');
    await expect.poll(() => page.getAttribute('#state', 'data-state'), { timeout: 20_000 }).toBe('SUCCESS');
    await screenshot(page, 'test-page-demo-success');
    await context.close();
  }, 60_000);
});
