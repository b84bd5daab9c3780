import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedWechatMerchant } from '../src/demo/seed.ts';
import { PaymuxClient } from '../src/sdk/client.ts';
import type { PaymentView } from '../src/services/payment-view.ts';
import { type Harness, startHarness } from './support/harness.ts';

type Page = { object: 'list'; data: PaymentView[]; has_more: boolean };
type ErrorReply = { error: { code: string; param?: string } };

describe('listing payments', () => {
  let h: Harness;
  const created: string[] = [];
  beforeAll(async () => {
    h = await startHarness('sqlite');
    for (let i = 0; i < 7; i++) {
      const res = await h.client.request<PaymentView>('POST', '/v1/payments', {
        merchant_order_no: `list-${i}`,
        pay_way: 'WX_NATIVE',
        amount: 10 + i,
        subject: 'x',
      });
      created.push(res.body.id);
    }
    h.sim.pay(created[2]!);
    await h.sim.deliverDueNotifications();
  });
  afterAll(async () => h.close());

  it('pages newest first with a cursor, every payment exactly once', async () => {
    const seen: string[] = [];
    let cursor: string | undefined;
    for (let round = 0; round < 10; round++) {
      const res = await h.client.request<Page>(
        'GET',
        `/v1/payments?limit=3${cursor ? `&starting_after=${cursor}` : ''}`,
      );
      expect(res.status).toBe(200);
      expect(res.signature_valid).toBe(true);
      seen.push(...res.body.data.map((p) => p.id));
      if (!res.body.has_more) break;
      cursor = res.body.data.at(-1)!.id;
    }
    expect(seen).toEqual([...created].reverse());
  });

  it('filters by state', async () => {
    const res = await h.client.request<Page>('GET', '/v1/payments?state=SUCCESS');
    expect(res.body.data.map((p) => p.id)).toEqual([created[2]]);
    expect(res.body.has_more).toBe(false);
  });

  it('shows an app only its own payments', async () => {
    const other = await seedWechatMerchant(h.gateway.gw, 'Other', {
      url: h.sim_url,
      public_key_id: h.sim.platformPublicKeyId,
      public_key_pem: h.sim.platformPublicKeyPem,
    });
    const client = new PaymuxClient({
      base_url: h.gateway_url,
      app_id: other.app_id,
      secret: other.app_secret,
    });
    const res = await client.request<Page>('GET', '/v1/payments');
    expect(res.body).toEqual({ object: 'list', data: [], has_more: false });
  });

  it('refuses bad paging parameters with the parameter named', async () => {
    for (const query of [
      'limit=0',
      'limit=101',
      'limit=abc',
      'starting_after=nope',
      'state=PAID',
      'sort=asc',
    ]) {
      const res = await h.client.request<ErrorReply>('GET', `/v1/payments?${query}`);
      expect(res.status, query).toBe(400);
      expect(['REQUEST_INVALID', 'REQUEST_UNKNOWN_FIELD'], query).toContain(res.body.error.code);
    }
  });
});
