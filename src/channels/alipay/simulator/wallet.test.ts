import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../../domain/clock.ts';
import { SeededRandom } from '../../../domain/random.ts';
import { closeHttpAgents } from '../../http-client.ts';
import type { ChannelAccount, ChannelContext, PaymentForChannel } from '../../types.ts';
import { alipayAdapter } from '../adapter.ts';
import { accountFor, type NotifyCapture, rsaPair, startNotifyCapture } from '../testing.ts';
import { type AlipaySimulator, createAlipaySimulator } from './server.ts';

/** The simulated Alipay wallet: user authorisation redirects, scanning a precreate code, tradePay. */
const clock = new ManualClock(Date.UTC(2025, 4, 20, 2, 0, 0));
const ctx: ChannelContext = { clock, random: new SeededRandom(52), timeout_ms: 2000 };
const APP = '2021000000000301';
const keys = rsaPair();
let sim: AlipaySimulator;
let account: ChannelAccount;
let notify: NotifyCapture;
let seq = 0;

beforeAll(async () => {
  sim = createAlipaySimulator({ clock, random: new SeededRandom(51) });
  const url = await sim.app.listen({ host: '127.0.0.1', port: 0 });
  sim.registerApp({ app_id: APP, app_public_key_pem: keys.public_key_pem, seller_id: '2088000000000301' });
  account = accountFor('ca_w', {
    app_id: APP,
    app_private_key_pem: keys.private_key_pem,
    alipay_public_key_pem: sim.alipayPublicKeyPem,
    gateway_url: `${url}/gateway.do`,
  });
  notify = await startNotifyCapture();
});
afterAll(async () => {
  await sim.app.close();
  await notify.close();
  closeHttpAgents();
});

function payment(overrides: Partial<PaymentForChannel>): PaymentForChannel {
  seq += 1;
  return {
    id: `pay_ali_wallet_${seq}`,
    pay_way: 'ALI_QR',
    amount_fen: 2500,
    subject: '午餐 Lunch',
    expires_at_ms: clock.now_ms() + 15 * 60_000,
    channel_notify_url: `${notify.url}/notify`,
    ...overrides,
  };
}
const form = (fields: Record<string, string>) => ({
  method: 'POST' as const,
  headers: { 'content-type': 'application/x-www-form-urlencoded' },
  payload: new URLSearchParams(fields).toString(),
});

describe('Alipay simulator user authorisation', () => {
  it('redirects with auth_code, app_id, source, scope and state before the fragment', async () => {
    const res = await sim.app.inject({
      method: 'GET',
      url: `/oauth2/publicAppAuthorize.htm?app_id=${APP}&scope=auth_base&redirect_uri=${encodeURIComponent('https://shop.example/cb#/x')}&state=S`,
    });
    expect(res.statusCode).toBe(302);
    expect(res.headers.location).toMatch(
      new RegExp(
        `^https://shop\\.example/cb\\?auth_code=[A-Za-z0-9]{32}&app_id=${APP}&source=alipay_wallet&scope=auth_base&state=S#/x$`,
      ),
    );
  });
});

describe('Alipay simulator wallet pages', () => {
  it('scan: pays a precreate order and the notification goes out', async () => {
    const p = payment({});
    const created = await alipayAdapter.createPayment(ctx, account, p);
    if (created.kind !== 'accepted') throw new Error(JSON.stringify(created));
    const code = created.credential.code_url!;
    const page = await sim.app.inject({
      method: 'GET',
      url: `/sim/wallet/scan?code=${encodeURIComponent(code)}`,
    });
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('<span id="amount">25.00</span>');
    expect(page.body).toContain('id="subject">午餐 Lunch<');
    const paid = await sim.app.inject({ url: '/sim/wallet/scan', ...form({ code }) });
    expect(paid.body).toContain('data-status="ok"');
    expect(sim.order(p.id)?.trade_status).toBe('TRADE_SUCCESS');
    const before = notify.received.length;
    await sim.deliverDueNotifications();
    expect(notify.received.length).toBe(before + 1);
    const unknown = await sim.app.inject({
      method: 'GET',
      url: '/sim/wallet/scan?code=https%3A%2F%2Fqr.alipay.com%2Fnone',
    });
    expect(unknown.statusCode).toBe(404);
  });

  it('tradePay: bridge.js, the wallet page, pay, back to return_url; Cancel returns unpaid', async () => {
    const bridge = await sim.app.inject({ method: 'GET', url: '/sim/wallet/bridge.js' });
    expect(bridge.body).toContain('window.AlipayJSBridge');
    expect(bridge.body).toContain("name !== 'tradePay'");
    const p = payment({ pay_way: 'ALI_JSAPI', payer: { alipay_buyer_id: '2088000000009999' } });
    const created = await alipayAdapter.createPayment(ctx, account, p);
    if (created.kind !== 'accepted') throw new Error(JSON.stringify(created));
    const trade_no = created.credential.trade_no!;
    const return_url = 'https://shop.example/cashier/p2';
    const page = await sim.app.inject({
      method: 'GET',
      url: `/sim/wallet/jsapi?trade_no=${trade_no}&return_url=${encodeURIComponent(return_url)}`,
    });
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain(`id="cancel" class="button secondary" href="${return_url}"`);
    const paid = await sim.app.inject({ url: '/sim/wallet/jsapi', ...form({ trade_no, return_url }) });
    expect(paid.statusCode).toBe(303);
    expect(paid.headers.location).toBe(return_url);
    const before = notify.received.length;
    await sim.deliverDueNotifications();
    expect(notify.received.length).toBe(before + 1);
  });
});
