import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyWebhook } from '../src/protocol/merchant-signature.ts';
import { PaymuxClient } from '../src/sdk/client.ts';
import type { PaymentView } from '../src/services/payment-view.ts';
import { retirePreviousSecret, rotateAppSecret } from '../src/services/tenants.ts';
import { type Harness, startHarness } from './support/harness.ts';

describe('app secret rotation', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness('sqlite');
  });
  afterAll(async () => h.close());

  it('accepts both secrets during a rotation, signs webhooks for both, then only the new one', async () => {
    const old_secret = h.merchant.app_secret;
    const { secret: new_secret } = await rotateAppSecret(h.gateway.gw, h.merchant.app_id);
    expect(new_secret).not.toBe(old_secret);
    const as = (secret: string) =>
      new PaymuxClient({ base_url: h.gateway_url, app_id: h.merchant.app_id, secret });

    const with_old = await as(old_secret).request<PaymentView>('POST', '/v1/payments', {
      merchant_order_no: 'rot-1',
      pay_way: 'WX_NATIVE',
      amount: 5,
      subject: 'x',
      notify_url: h.receiver.url,
    });
    expect(with_old.status).toBe(201);
    // The response is signed with the secret that signed the request.
    expect(with_old.signature_valid).toBe(true);
    const with_new = await as(new_secret).request<PaymentView>('GET', `/v1/payments/${with_old.body.id}`);
    expect(with_new.status).toBe(200);
    expect(with_new.signature_valid).toBe(true);

    expect(h.sim.pay(with_old.body.id).ok).toBe(true);
    await h.sim.deliverDueNotifications();
    await h.gateway.deliverer.drain();
    const delivered = h.receiver.received.find((r) => r.body.includes(with_old.body.id))!;
    const header = String(delivered.headers['paymux-signature']);
    const now_s = Math.floor(Date.now() / 1000);
    expect(verifyWebhook(old_secret, header, delivered.body, now_s).ok).toBe(true);
    expect(verifyWebhook(new_secret, header, delivered.body, now_s).ok).toBe(true);

    await retirePreviousSecret(h.gateway.gw, h.merchant.app_id);
    const refused = await as(old_secret).request<{ error: { code: string } }>(
      'GET',
      `/v1/payments/${with_old.body.id}`,
    );
    expect(refused.status).toBe(401);
    expect(refused.body.error.code).toBe('AUTH_SIGNATURE_INVALID');
    expect((await as(new_secret).request('GET', `/v1/payments/${with_old.body.id}`)).status).toBe(200);
  });
});
