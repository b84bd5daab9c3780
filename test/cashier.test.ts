import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../src/domain/clock.ts';
import { SeededRandom } from '../src/domain/random.ts';
import {
  closeUnboundCashierPayment,
  IDENTITY_FAILURE_EVENTS_PER_PAYMENT_MAX,
  payWithWallet,
  recordIdentityFailure,
} from '../src/services/cashier-payment.ts';
import type { PaymentView } from '../src/services/payment-view.ts';
import { listEventsOfPayment } from '../src/storage/repositories/events.ts';
import { findPaymentById } from '../src/storage/repositories/payments.ts';
import { type DbKind, postgresAvailable } from './support/databases.ts';
import { type Harness, startHarness } from './support/harness.ts';

const pg_ok = await postgresAvailable();

/**
 * The QR cashier's payment: made without a channel, bound to the first wallet that identifies its
 * payer, and from then an ordinary payment of that channel. Unbound, it closes at expiry without a
 * channel call. Driven through the services and the real WeChat Pay simulator.
 */
describe.each<DbKind>(['sqlite', 'postgres'])('QR cashier payments on %s', (kind) => {
  const skip = kind === 'postgres' && !pg_ok;
  const clock = new ManualClock(Date.parse('2026-11-27T09:00:00Z'));
  let h: Harness;
  let seq = 0;

  beforeAll(async () => {
    if (!skip) h = await startHarness(kind, { clock, random: new SeededRandom(11) });
  });
  afterAll(async () => {
    if (!skip) await h.close();
  });

  async function createCashier(expires_in_s = 600, order_no = `qc-${kind}-${++seq}`) {
    const res = await h.client.request<PaymentView>('POST', '/v1/payments', {
      merchant_order_no: order_no,
      pay_way: 'QR_CASHIER',
      amount: 1234,
      subject: 'Hotpot',
      expires_in_s,
      notify_url: h.receiver.url,
    });
    return res;
  }
  const rowOf = async (id: string) => (await findPaymentById(h.gateway.gw.store.db, id))!;
  const eventsOf = async (id: string) =>
    (await listEventsOfPayment(h.gateway.gw.store.db, id)).map((e) => e.type);

  it.skipIf(skip)(
    'is created without a channel: a cashier URL as its code, and a retry finds it',
    async () => {
      const order_no = `qc-${kind}-retry`;
      const first = await createCashier(600, order_no);
      expect(first.status).toBe(201);
      expect(first.body.state).toBe('CREATED');
      expect(first.body.pay_way).toBe('QR_CASHIER');
      expect(first.body.channel).toBe('');
      expect(first.body.code_url).toBe(`${h.gateway.gw.settings.public_url}/cashier/${first.body.id}`);
      expect(first.body.qr_image_url).toMatch(/\/qr\/pay_\w+\.png$/);
      const again = await createCashier(600, order_no);
      expect(again.status).toBe(200);
      expect(again.body.id).toBe(first.body.id);
    },
  );

  it.skipIf(skip)(
    'binds to the identified payer, pays in the wallet, and ends SUCCESS with an event',
    async () => {
      const p = (await createCashier()).body;
      const openid = 'oCashierPayer0000000000000001';
      const result = await payWithWallet(h.gateway.gw, p.id, 'wechat', { wechat_openid: openid });
      expect(result.kind).toBe('pay');
      const bound = await rowOf(p.id);
      expect(bound.channel).toBe('wechat');
      expect(bound.channel_account_id).toBe(h.merchant.channel_account_id);
      expect(bound.state).toBe('PENDING');
      expect(JSON.parse(bound.payer_json!)).toEqual({ wechat_openid: openid });
      const credential = JSON.parse(bound.credential_json!) as { jsapi_params: Record<string, string> };
      expect(credential.jsapi_params.package).toMatch(/^prepay_id=/);

      // The same payer reopening the page gets the same order; anyone else is turned away.
      const again = await payWithWallet(h.gateway.gw, p.id, 'wechat', { wechat_openid: openid });
      expect(again.kind).toBe('pay');
      expect((await rowOf(p.id)).credential_json).toBe(bound.credential_json);
      const other = await payWithWallet(h.gateway.gw, p.id, 'wechat', {
        wechat_openid: 'oSomeoneElse000000000000000',
      });
      expect(other).toMatchObject({ kind: 'refused', code: 'CASHIER_PAYMENT_TAKEN' });

      expect(h.sim.pay(p.id).ok).toBe(true);
      await h.sim.deliverDueNotifications();
      expect((await rowOf(p.id)).state).toBe('SUCCESS');
      expect(await eventsOf(p.id)).toEqual(['payment.succeeded']);
    },
  );

  it.skipIf(skip)('closes at expiry without asking any channel when no wallet opened it', async () => {
    const p = (await createCashier(120)).body;
    clock.advance(60_000);
    await h.gateway.sync.drain();
    expect((await rowOf(p.id)).state).toBe('CREATED');
    clock.advance(61_000);
    await h.gateway.sync.drain();
    const closed = await rowOf(p.id);
    expect(closed.state).toBe('CLOSED');
    expect(closed.channel_status).toBe('NOT_OPENED');
    expect(closed.next_check_at).toBeNull();
    expect(await eventsOf(p.id)).toEqual(['payment.closed']);
    // Too late to pay now.
    const late = await payWithWallet(h.gateway.gw, p.id, 'wechat', {
      wechat_openid: 'oLatePayer00000000000000001',
    });
    expect(late.kind).toBe('state');
  });

  it.skipIf(skip)('is closed by the merchant while unbound', async () => {
    const p = (await createCashier()).body;
    const res = await h.client.request<PaymentView>('POST', `/v1/payments/${p.id}/close`, {});
    expect(res.status).toBe(200);
    expect(res.body.state).toBe('CLOSED');
  });

  it.skipIf(skip)('loses cleanly to a payer who binds it at the moment it expires', async () => {
    const p = (await createCashier()).body;
    const stale = await rowOf(p.id);
    const result = await payWithWallet(h.gateway.gw, p.id, 'wechat', {
      wechat_openid: 'oRacer000000000000000000001',
    });
    expect(result.kind).toBe('pay');
    // The expiry job read the row before the binding: its close must not win.
    expect(await closeUnboundCashierPayment(h.gateway.gw, stale)).toBeNull();
    const row = await rowOf(p.id);
    expect(row.state).toBe('PENDING');
    expect(row.channel).toBe('wechat');
  });

  it.skipIf(skip)(
    'tells the merchant of failed identity capture with a typed code, a bounded number of times',
    async () => {
      const p = (await createCashier()).body;
      for (let i = 0; i < IDENTITY_FAILURE_EVENTS_PER_PAYMENT_MAX + 3; i++) {
        await recordIdentityFailure(h.gateway.gw, p.id, 'PAYER_AUTH_DENIED', 'user refused');
      }
      const events = await listEventsOfPayment(h.gateway.gw.store.db, p.id);
      expect(events).toHaveLength(IDENTITY_FAILURE_EVENTS_PER_PAYMENT_MAX);
      const payload = JSON.parse(events[0]!.payload_json) as {
        type: string;
        data: { object: { state: string }; error: { code: string; message: string } };
      };
      expect(payload.type).toBe('payment.payer_identity_failed');
      expect(payload.data.error.code).toBe('PAYER_AUTH_DENIED');
      expect(payload.data.object.state).toBe('CREATED');
      expect((await rowOf(p.id)).state).toBe('CREATED');
    },
  );

  it.skipIf(skip)(
    'writes the demo app secret into the test page only for a browser on this machine',
    async () => {
      const secret = 'demo-secret-never-for-strangers';
      h.gateway.gw.settings.demo = {
        app_id: 'app_demo',
        app_secret: secret,
        notify_url: '',
        wallet_scan_urls: {},
      };
      try {
        const local = await h.gateway.http.inject({ url: '/test', remoteAddress: '127.0.0.1' });
        expect(local.body).toContain(secret);
        const remote = await h.gateway.http.inject({ url: '/test', remoteAddress: '203.0.113.9' });
        expect(remote.statusCode).toBe(200);
        expect(remote.body).not.toContain(secret);
        expect(remote.body).not.toContain('app_demo');
      } finally {
        h.gateway.gw.settings.demo = undefined;
      }
    },
  );

  it.skipIf(skip)('refuses QR_CASHIER with a clear error when no account can identify payers', async () => {
    await h.gateway.gw.store.db
      .updateTable('channel_accounts')
      .set({ status: 'disabled' })
      .where('merchant_id', '=', h.merchant.merchant_id)
      .execute();
    clock.advance(10_000);
    try {
      const res = await createCashier();
      expect(res.status).toBe(422);
      expect((res.body as unknown as { error: { code: string; message: string } }).error).toMatchObject({
        code: 'NO_CHANNEL_ACCOUNT',
      });
    } finally {
      await h.gateway.gw.store.db
        .updateTable('channel_accounts')
        .set({ status: 'enabled' })
        .where('merchant_id', '=', h.merchant.merchant_id)
        .execute();
      clock.advance(10_000);
    }
  });
});
