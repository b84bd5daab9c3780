import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../../domain/clock.ts';
import { SeededRandom } from '../../../domain/random.ts';
import { closeHttpAgents } from '../../http-client.ts';
import type { ChannelAccount, ChannelContext, PaymentForChannel } from '../../types.ts';
import { wechatAdapter } from '../adapter.ts';
import {
  accountFor,
  type CaptureServer,
  rsaPair,
  simMerchantOf,
  startCaptureServer,
  testMerchant,
} from '../testing.ts';
import { createWechatSimulator, type WechatSimulator } from './server.ts';

/** The simulated WeChat wallet: scanning a Native code, paying a JSAPI order through the bridge. */
const clock = new ManualClock(Date.UTC(2025, 4, 20, 2, 0, 0));
const ctx: ChannelContext = { clock, random: new SeededRandom(22), timeout_ms: 2000 };
const merchant = testMerchant(new SeededRandom(23), rsaPair());
let sim: WechatSimulator;
let account: ChannelAccount;
let notify: CaptureServer;
let seq = 0;

beforeAll(async () => {
  sim = createWechatSimulator({ clock, random: new SeededRandom(21) });
  const url = await sim.app.listen({ host: '127.0.0.1', port: 0 });
  sim.registerMerchant({ ...simMerchantOf(merchant), app_secret: 'secret-of-the-app-0123456789abcd' });
  account = accountFor(merchant, {
    url,
    public_key_id: sim.platformPublicKeyId,
    public_key_pem: sim.platformPublicKeyPem,
  });
  notify = await startCaptureServer();
});
afterAll(async () => {
  await sim.app.close();
  await notify.close();
  closeHttpAgents();
});

function payment(overrides: Partial<PaymentForChannel>): PaymentForChannel {
  seq += 1;
  return {
    id: `pay_wallet_${seq}_${clock.now_ms()}`,
    pay_way: 'WX_NATIVE',
    amount_fen: 1234,
    subject: '拿铁 Latte',
    expires_at_ms: clock.now_ms() + 15 * 60_000,
    channel_notify_url: `${notify.url}/notify`,
    ...overrides,
  };
}

function form(fields: Record<string, string>) {
  return {
    method: 'POST' as const,
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    payload: new URLSearchParams(fields).toString(),
  };
}

describe('WeChat simulator OAuth', () => {
  it('puts code and state before the fragment of redirect_uri, and refuses unknown apps', async () => {
    const redirect_uri = 'https://shop.example/cashier#/order/1';
    const res = await sim.app.inject({
      method: 'GET',
      url: `/connect/oauth2/authorize?appid=${merchant.appid}&redirect_uri=${encodeURIComponent(redirect_uri)}&response_type=code&scope=snsapi_base&state=S1&payer=p1`,
    });
    expect(res.statusCode).toBe(302);
    expect(res.headers.location).toMatch(
      /^https:\/\/shop\.example\/cashier\?code=[A-Za-z0-9]{32}&state=S1#\/order\/1$/,
    );
    const unknown = await sim.app.inject({
      method: 'GET',
      url: `/connect/oauth2/authorize?appid=wxunknown&redirect_uri=${encodeURIComponent(redirect_uri)}&response_type=code&scope=snsapi_base`,
    });
    expect(unknown.statusCode).toBe(400);
    expect(unknown.body).toContain('id="result"');
  });

  it('gives the same payer a cookie so the openid stays the same without ?payer', async () => {
    const first = await sim.app.inject({
      method: 'GET',
      url: `/connect/oauth2/authorize?appid=${merchant.appid}&redirect_uri=${encodeURIComponent('https://a.example/cb')}&response_type=code&scope=snsapi_base&state=x`,
    });
    expect(String(first.headers['set-cookie'])).toMatch(/^sim_payer=payer-/);
  });
});

describe('WeChat simulator wallet pages', () => {
  it('scan: shows the order, pays it, and the notification goes out', async () => {
    const p = payment({});
    const created = await wechatAdapter.createPayment(ctx, account, p);
    if (created.kind !== 'accepted') throw new Error(`not accepted: ${JSON.stringify(created)}`);
    const code = created.credential.code_url!;
    const page = await sim.app.inject({
      method: 'GET',
      url: `/sim/wallet/scan?code=${encodeURIComponent(code)}`,
    });
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('<span id="amount">12.34</span>');
    expect(page.body).toContain('id="subject">拿铁 Latte<');
    expect(page.body).toContain('id="pay"');
    const paid = await sim.app.inject({ url: '/sim/wallet/scan', ...form({ code }) });
    expect(paid.statusCode).toBe(200);
    expect(paid.body).toContain('data-status="ok"');
    expect(sim.order(p.id)?.trade_state).toBe('SUCCESS');
    const before = notify.requests.length;
    await sim.deliverDueNotifications();
    expect(notify.requests.length).toBe(before + 1);
    // Paid now: the wallet says so instead of paying twice.
    const again = await sim.app.inject({
      method: 'GET',
      url: `/sim/wallet/scan?code=${encodeURIComponent(code)}`,
    });
    expect(again.statusCode).toBe(404);
    expect(again.body).toContain('already paid');
    const unknown = await sim.app.inject({
      method: 'GET',
      url: `/sim/wallet/scan?code=${encodeURIComponent('weixin://wxpay/bizpayurl?pr=nothing')}`,
    });
    expect(unknown.body).toContain('data-status="error"');
  });

  it('bridge.js defines WeixinJSBridge that goes to the wallet page with return_url', async () => {
    const res = await sim.app.inject({ method: 'GET', url: '/sim/wallet/bridge.js' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toContain('javascript');
    expect(res.body).toContain('window.WeixinJSBridge');
    expect(res.body).toContain("'/sim/wallet/jsapi'");
    expect(res.body).toContain('return_url=');
  });

  it('jsapi: checks paySign, pays, notifies and returns to the page; a forged paySign is refused', async () => {
    const p = payment({ pay_way: 'WX_JSAPI', payer: { wechat_openid: 'oPayer0000000000000000000001' } });
    const created = await wechatAdapter.createPayment(ctx, account, p);
    if (created.kind !== 'accepted') throw new Error(`not accepted: ${JSON.stringify(created)}`);
    const params = created.credential.jsapi_params!;
    const return_url = 'https://shop.example/cashier/p1?step=paid';
    const query = new URLSearchParams({ ...params, return_url }).toString();

    const forged = new URLSearchParams({
      ...params,
      paySign: Buffer.from('forged').toString('base64'),
      return_url,
    });
    const refused = await sim.app.inject({ method: 'GET', url: `/sim/wallet/jsapi?${forged.toString()}` });
    expect(refused.statusCode).toBe(400);
    expect(refused.body).toContain('paySign does not verify');
    const refused_post = await sim.app.inject({
      url: '/sim/wallet/jsapi',
      ...form(Object.fromEntries(forged)),
    });
    expect(refused_post.statusCode).toBe(400);
    expect(sim.order(p.id)?.trade_state).toBe('NOTPAY');

    const page = await sim.app.inject({ method: 'GET', url: `/sim/wallet/jsapi?${query}` });
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('<span id="amount">12.34</span>');
    expect(page.body).toContain(
      `id="cancel" class="button secondary" href="${return_url.replace('&', '&amp;')}"`,
    );
    const paid = await sim.app.inject({ url: '/sim/wallet/jsapi', ...form({ ...params, return_url }) });
    expect(paid.statusCode).toBe(303);
    expect(paid.headers.location).toBe(return_url);
    expect(sim.order(p.id)?.trade_state).toBe('SUCCESS');
    const before = notify.requests.length;
    await sim.deliverDueNotifications();
    expect(notify.requests.length).toBe(before + 1);
  });

  it('a closed order cannot be paid from the wallet', async () => {
    const p = payment({});
    const created = await wechatAdapter.createPayment(ctx, account, p);
    if (created.kind !== 'accepted') throw new Error('not accepted');
    expect((await wechatAdapter.closePayment(ctx, account, p.id)).kind).toBe('closed');
    const res = await sim.app.inject({
      url: '/sim/wallet/scan',
      ...form({ code: created.credential.code_url! }),
    });
    expect(res.statusCode).toBe(404);
    expect(res.body).toContain('订单已关闭');
  });
});
