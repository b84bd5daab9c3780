import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { orderIdOf } from '../src/channels/unionpay/order-id.ts';
import {
  createUnionpaySimulator,
  type UnionpaySimulator,
} from '../src/channels/unionpay/simulator/server.ts';
import { KEYS, TEST_MER_ID } from '../src/channels/unionpay/testing.ts';
import { ManualClock } from '../src/domain/clock.ts';
import { SeededRandom } from '../src/domain/random.ts';
import type { PaymentView } from '../src/services/payment-view.ts';
import type { RefundView } from '../src/services/refund-view.ts';
import { createChannelAccount } from '../src/services/tenants.ts';
import { listEventsOfPayment } from '../src/storage/repositories/events.ts';
import { type Harness, startHarness } from './support/harness.ts';

/**
 * UnionPay through the whole gateway: the same merchant API, a UnionPay account beside the WeChat
 * one. The test merchant certificate of the vectors expired on 2026-11-26, so the clock is pinned
 * before that.
 */
describe('UnionPay Cloud QuickPass end to end', () => {
  const clock = new ManualClock(Date.parse('2026-06-01T10:00:00Z'));
  let h: Harness;
  let up: UnionpaySimulator;
  let seq = 0;

  beforeAll(async () => {
    h = await startHarness('sqlite', { clock, random: new SeededRandom(21) });
    up = createUnionpaySimulator({ clock, random: new SeededRandom(22) });
    const up_url = await up.app.listen({ host: '127.0.0.1', port: 0 });
    up.registerMerchant({ mer_id: TEST_MER_ID, cert_pem: KEYS.merchant_cert_pem });
    await createChannelAccount(h.gateway.gw, {
      merchant_id: h.merchant.merchant_id,
      channel: 'unionpay',
      mode: 'direct',
      name: 'Test Shop UnionPay',
      settings: {
        mer_id: TEST_MER_ID,
        sign_cert_pem: KEYS.merchant_cert_pem,
        root_cert_pem: up.rootCertPem,
        middle_cert_pem: up.middleCertPem,
        gateway_base_url: up_url,
      },
      secrets: { sign_private_key_pem: KEYS.merchant_private_key_pem },
    });
  });
  afterAll(async () => {
    await up.stop();
    await up.app.close();
    await h.close();
  });

  const create = (body: Record<string, unknown>) =>
    h.client.request<PaymentView & { error: { code: string } }>('POST', '/v1/payments', {
      merchant_order_no: `up-${++seq}`,
      amount: 2500,
      subject: 'Dumplings',
      notify_url: h.receiver.url,
      ...body,
    });
  const stateOf = async (id: string) =>
    (await h.client.request<PaymentView>('GET', `/v1/payments/${id}`)).body.state;

  it('UP_QR: QR code, the payer pays, the notification makes it SUCCESS', async () => {
    const p = await create({ pay_way: 'UP_QR' });
    expect(p.status).toBe(201);
    expect(p.body).toMatchObject({ state: 'PENDING', channel: 'unionpay' });
    expect(p.body.code_url).toMatch(/^https?:\/\//);
    const paid = await up.pay(orderIdOf(p.body.id)!);
    expect(paid).toMatchObject({ ok: true });
    await up.deliverDueNotifications();
    expect(await stateOf(p.body.id)).toBe('SUCCESS');
    expect((await listEventsOfPayment(h.gateway.gw.store.db, p.body.id)).map((e) => e.type)).toEqual([
      'payment.succeeded',
    ]);
  });

  it('UP_BAR and AUTO_BAR: a 62 payment code is charged at once', async () => {
    const direct = await create({ pay_way: 'UP_BAR', auth_code: '6212345678901234567' });
    expect(direct.body.state).toBe('SUCCESS');
    const auto = await create({ pay_way: 'AUTO_BAR', auth_code: '6298765432109876543' });
    expect(auto.body).toMatchObject({ state: 'SUCCESS', pay_way: 'UP_BAR', channel: 'unionpay' });
  });

  it('refunds a UnionPay payment in part, confirmed by the channel', async () => {
    const p = await create({ pay_way: 'UP_BAR', auth_code: '6212345678901234560' });
    expect(p.body.state).toBe('SUCCESS');
    const r = await h.client.request<RefundView>('POST', `/v1/payments/${p.body.id}/refunds`, {
      merchant_refund_no: `upr-${seq}`,
      amount: 1000,
    });
    expect(r.status).toBe(201);
    for (
      let i = 0;
      i < 3 &&
      (await h.client.request<RefundView>('GET', `/v1/refunds/${r.body.id}`)).body.state === 'PROCESSING';
      i++
    ) {
      clock.advance(20_000);
      await up.deliverDueNotifications();
      await h.gateway.sync.drain();
    }
    expect((await h.client.request<RefundView>('GET', `/v1/refunds/${r.body.id}`)).body.state).toBe(
      'SUCCESS',
    );
  });
});
