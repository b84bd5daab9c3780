import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AlipaySimulator, createAlipaySimulator } from '../src/channels/alipay/simulator/server.ts';
import { rsaPair } from '../src/channels/alipay/testing.ts';
import { ManualClock } from '../src/domain/clock.ts';
import { SeededRandom } from '../src/domain/random.ts';
import type { PaymentView } from '../src/services/payment-view.ts';
import type { RefundView } from '../src/services/refund-view.ts';
import { createChannelAccount } from '../src/services/tenants.ts';
import { listEventsOfPayment } from '../src/storage/repositories/events.ts';
import { type Harness, startHarness } from './support/harness.ts';

/** Alipay through the whole gateway: the same merchant API, an Alipay account beside the WeChat one. */
describe('Alipay end to end', () => {
  const clock = new ManualClock(Date.parse('2026-11-27T11:00:00Z'));
  let h: Harness;
  let ali: AlipaySimulator;
  let seq = 0;
  const APP_ID = '2021000000000001';
  const SELLER_ID = '2088000000000001';

  beforeAll(async () => {
    h = await startHarness('sqlite', { clock, random: new SeededRandom(31) });
    ali = createAlipaySimulator({ clock, random: new SeededRandom(32) });
    const ali_url = await ali.app.listen({ host: '127.0.0.1', port: 0 });
    const app_keys = rsaPair();
    ali.registerApp({ app_id: APP_ID, app_public_key_pem: app_keys.public_key_pem, seller_id: SELLER_ID });
    await createChannelAccount(h.gateway.gw, {
      merchant_id: h.merchant.merchant_id,
      channel: 'alipay',
      mode: 'direct',
      name: 'Test Shop Alipay',
      settings: {
        app_id: APP_ID,
        seller_id: SELLER_ID,
        alipay_public_key_pem: ali.alipayPublicKeyPem,
        gateway_url: `${ali_url}/gateway.do`,
      },
      secrets: { app_private_key_pem: app_keys.private_key_pem },
    });
  });
  afterAll(async () => {
    await ali.stop();
    await ali.app.close();
    await h.close();
  });

  const create = (body: Record<string, unknown>) =>
    h.client.request<PaymentView & { error: { code: string } }>('POST', '/v1/payments', {
      merchant_order_no: `ali-${++seq}`,
      amount: 1999,
      subject: 'Book',
      notify_url: h.receiver.url,
      ...body,
    });
  const stateOf = async (id: string) =>
    (await h.client.request<PaymentView>('GET', `/v1/payments/${id}`)).body.state;

  it('ALI_QR: precreate, the payer pays, the notification (in yuan) makes it SUCCESS for the exact fen', async () => {
    const p = await create({ pay_way: 'ALI_QR' });
    expect(p.status).toBe(201);
    expect(p.body).toMatchObject({ state: 'PENDING', channel: 'alipay', amount: 1999 });
    expect(p.body.code_url).toMatch(/^https:\/\/qr\.alipay\.com\//);
    expect((await ali.pay(p.body.id)).ok).toBe(true);
    await ali.deliverDueNotifications();
    expect(await stateOf(p.body.id)).toBe('SUCCESS');
    expect((await listEventsOfPayment(h.gateway.gw.store.db, p.body.id)).map((e) => e.type)).toEqual([
      'payment.succeeded',
    ]);
  });

  it('ALI_BAR and AUTO_BAR: an Alipay payment code is charged at once', async () => {
    const direct = await create({ pay_way: 'ALI_BAR', auth_code: '284567890123456789' });
    expect(direct.body.state).toBe('SUCCESS');
    const auto = await create({ pay_way: 'AUTO_BAR', auth_code: '2845678901234567' });
    expect(auto.body).toMatchObject({ state: 'SUCCESS', pay_way: 'ALI_BAR', channel: 'alipay' });
  });

  it('ALI_JSAPI needs exactly one of buyer_id and open_id, and returns the trade number', async () => {
    const neither = await create({ pay_way: 'ALI_JSAPI' });
    expect(neither.body.error.code).toBe('REQUEST_INVALID');
    const both = await create({
      pay_way: 'ALI_JSAPI',
      payer: { alipay_buyer_id: '2088102177846875', alipay_open_id: 'x' },
    });
    expect(both.body.error.code).toBe('REQUEST_INVALID');
    const ok = await create({ pay_way: 'ALI_JSAPI', payer: { alipay_buyer_id: '2088102177846875' } });
    expect(ok.status).toBe(201);
    expect(ok.body.credential?.trade_no).toBeTruthy();
  });

  it('refunds an Alipay payment in part', async () => {
    const p = await create({ pay_way: 'ALI_BAR', auth_code: '284567890123456780' });
    expect(p.body.state).toBe('SUCCESS');
    const r = await h.client.request<RefundView>('POST', `/v1/payments/${p.body.id}/refunds`, {
      merchant_refund_no: `alr-${seq}`,
      amount: 999,
    });
    expect(r.status).toBe(201);
    clock.advance(15_000);
    await h.gateway.sync.drain();
    expect((await h.client.request<RefundView>('GET', `/v1/refunds/${r.body.id}`)).body.state).toBe(
      'SUCCESS',
    );
    const too_much = await h.client.request<{ error: { code: string } }>(
      'POST',
      `/v1/payments/${p.body.id}/refunds`,
      { merchant_refund_no: `alr2-${seq}`, amount: 1001 },
    );
    expect(too_much.body.error.code).toBe('REFUND_AMOUNT_EXCEEDS_PAYMENT');
  });
});
