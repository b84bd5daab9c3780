import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyWebhook } from '../src/protocol/merchant-signature.ts';
import { applyObservation } from '../src/services/apply-observation.ts';
import type { PaymentView } from '../src/services/payment-view.ts';
import { listChannelNotifications } from '../src/storage/repositories/channel-notifications.ts';
import { listEventsOfPayment } from '../src/storage/repositories/events.ts';
import { type DbKind, postgresAvailable } from './support/databases.ts';
import { reforgeWechatNotification } from './support/forge.ts';
import { type Harness, startHarness } from './support/harness.ts';
import { replay } from './support/recording-proxy.ts';

const pg_ok = await postgresAvailable();
let order_seq = 0;

describe.each<DbKind>(['sqlite', 'postgres'])('WX_NATIVE payment end to end on %s', (kind) => {
  const skip = kind === 'postgres' && !pg_ok;
  let h: Harness;

  beforeAll(async () => {
    if (!skip) h = await startHarness(kind);
  });
  afterAll(async () => {
    if (!skip) await h.close();
  });

  async function create(amount = 1): Promise<PaymentView> {
    const res = await h.client.request<PaymentView>('POST', '/v1/payments', {
      merchant_order_no: `order-${kind}-${++order_seq}`,
      pay_way: 'WX_NATIVE',
      amount,
      subject: 'Coffee',
      notify_url: h.receiver.url,
    });
    expect(res.status).toBe(201);
    return res.body;
  }

  /** The payer pays; the simulator notifies through the recording proxy; returns that notification. */
  async function payAndNotify(id: string) {
    const before = h.proxy.captured.length;
    expect(h.sim.pay(id).ok).toBe(true);
    await h.sim.deliverDueNotifications();
    expect(h.proxy.captured.length).toBe(before + 1);
    return h.proxy.captured[before]!;
  }

  const state = async (id: string) =>
    (await h.client.request<PaymentView>('GET', `/v1/payments/${id}`)).body.state;

  it.skipIf(skip)(
    'create → pay in the simulator → channel notification → SUCCESS → merchant notified',
    async () => {
      const res = await h.client.request<PaymentView>('POST', '/v1/payments', {
        merchant_order_no: `first-${kind}`,
        pay_way: 'WX_NATIVE',
        amount: 1234,
        subject: 'Coffee',
        notify_url: h.receiver.url,
      });
      expect(res.status).toBe(201);
      expect(res.signature_valid).toBe(true);
      const p = res.body;
      expect(p.id).toMatch(/^pay_/);
      expect(p.state).toBe('PENDING');
      expect(p.amount).toBe(1234);
      expect(p.code_url).toMatch(/^weixin:\/\/wxpay\/bizpayurl\?pr=/);
      expect(h.sim.order(p.id)?.trade_state).toBe('NOTPAY');

      const by_order = await h.client.request<PaymentView>('GET', `/v1/payments/by-order-no/first-${kind}`);
      expect(by_order.body.id).toBe(p.id);
      const qr = await fetch(`${h.gateway_url}/qr/${p.id}.png`);
      expect(qr.status).toBe(200);
      expect(qr.headers.get('content-type')).toBe('image/png');
      expect(
        Buffer.from(await qr.arrayBuffer())
          .subarray(1, 4)
          .toString(),
      ).toBe('PNG');

      await payAndNotify(p.id);
      const paid = await h.client.request<PaymentView>('GET', `/v1/payments/${p.id}`);
      expect(paid.body.state).toBe('SUCCESS');
      expect(paid.body.channel_trade_no).toBe(h.sim.order(p.id)?.transaction_id);
      expect(paid.body.paid_at).not.toBeNull();

      expect(await h.gateway.deliverer.drain()).toBe(1);
      const mine = h.receiver.received.filter((r) => r.body.includes(p.id));
      expect(mine).toHaveLength(1);
      const delivered = mine[0]!;
      const header = String(delivered.headers['paymux-signature']);
      expect(
        verifyWebhook(h.merchant.app_secret, header, delivered.body, Math.floor(Date.now() / 1000)),
      ).toEqual({ ok: true });
      expect(verifyWebhook('another-secret', header, delivered.body, Math.floor(Date.now() / 1000)).ok).toBe(
        false,
      );
      const event = JSON.parse(delivered.body);
      expect(event.type).toBe('payment.succeeded');
      expect(event.data.object).toMatchObject({
        id: p.id,
        state: 'SUCCESS',
        amount: 1234,
        merchant_order_no: `first-${kind}`,
      });
      expect(delivered.headers['paymux-event-id']).toBe(event.id);
    },
  );

  it.skipIf(skip)('tells in Server-Timing how long the channel took, and not on a retry', async () => {
    h.sim.addFault({ kind: 'latency_ms', operation: 'create', latency_ms: 150, times: 1 });
    const body = {
      merchant_order_no: `timed-${kind}`,
      pay_way: 'WX_NATIVE',
      amount: 5,
      subject: 'Tea',
    };
    const started = performance.now();
    const res = await h.client.request<PaymentView>('POST', '/v1/payments', body);
    const total_ms = performance.now() - started;
    expect(res.status).toBe(201);
    const timing = /^channel;dur=(\d+\.\d{3})$/.exec(res.headers.get('server-timing') ?? '');
    expect(timing).not.toBeNull();
    const channel_ms = Number(timing![1]);
    expect(channel_ms).toBeGreaterThanOrEqual(150);
    expect(channel_ms).toBeLessThan(total_ms);
    // A retry is answered from the stored payment: no channel, no timing.
    const retry = await h.client.request<PaymentView>('POST', '/v1/payments', body);
    expect(retry.status).toBe(200);
    expect(retry.headers.get('server-timing')).toBeNull();
  });

  it.skipIf(skip)('duplicate and out-of-order notifications leave one SUCCESS and one event', async () => {
    const p = await create(500);
    const genuine = await payAndNotify(p.id);
    const gateway = h.gateway.gw;
    // The channel sends the same notification again, several at once, and late.
    const replies = await Promise.all([1, 2, 3, 4].map(() => replay(h.gateway_url, genuine)));
    for (const r of replies) expect(r.status).toBe(204);
    // A stale "not paid" arriving after the success must not move it back.
    const stale = await applyObservation(
      gateway,
      p.id,
      { status: 'NOT_PAID', channel_status: 'NOTPAY' },
      'query',
    );
    expect(stale.kind).toBe('unchanged');
    expect(await state(p.id)).toBe('SUCCESS');
    const events = await listEventsOfPayment(gateway.store.db, p.id);
    expect(events.map((e) => e.type)).toEqual(['payment.succeeded']);
    const audit = await listChannelNotifications(gateway.store.db, p.id);
    expect(audit.map((a) => a.outcome)).toEqual([
      'changed',
      'unchanged',
      'unchanged',
      'unchanged',
      'unchanged',
    ]);
    // Closing a paid payment is refused and leaves it paid.
    const close = await h.client.request<{ error: { code: string } }>('POST', `/v1/payments/${p.id}/close`);
    expect(close.status).toBe(409);
    expect(close.body.error.code).toBe('PAYMENT_STATE_CONFLICT');
    expect(await state(p.id)).toBe('SUCCESS');
  });

  it.skipIf(skip)('forged channel notifications are refused and change nothing', async () => {
    const p = await create(800);
    h.proxy.forward = false; // the genuine notification is held back; we play the forger with it
    let genuine: Awaited<ReturnType<typeof payAndNotify>>;
    try {
      genuine = await payAndNotify(p.id);
    } finally {
      h.proxy.forward = true;
    }
    const keys = {
      apiv3_key: h.merchant.wechat.apiv3_key,
      platform_private_key_pem: h.platform_private_key_pem,
    };
    const forgeries = {
      bad_signature: {
        ...genuine,
        headers: { ...genuine.headers, 'wechatpay-signature': Buffer.alloc(256, 7).toString('base64') },
      },
      signtest_probe: {
        ...genuine,
        headers: {
          ...genuine.headers,
          'wechatpay-signature': `WECHATPAY/SIGNTEST/${genuine.headers['wechatpay-signature']}`,
        },
      },
      body_changed: {
        ...genuine,
        body: genuine.body.replace('"TRANSACTION.SUCCESS"', '"TRANSACTION.SUCCESS" '),
      },
      wrong_serial: {
        ...genuine,
        headers: { ...genuine.headers, 'wechatpay-serial': 'PUB_KEY_ID_0000000000000000000000000000000' },
      },
      other_amount: await reforgeWechatNotification(genuine, keys, {
        transaction: (t) => {
          (t.amount as { total: number; payer_total: number }).total = 1;
          (t.amount as { total: number; payer_total: number }).payer_total = 1;
        },
      }),
      unknown_order: await reforgeWechatNotification(genuine, keys, {
        transaction: (t) => {
          t.out_trade_no = 'pay_00000000000000000000000000';
        },
      }),
      other_mchid: await reforgeWechatNotification(genuine, keys, {
        transaction: (t) => {
          t.mchid = '1900000001';
        },
      }),
      stale_timestamp: await reforgeWechatNotification(genuine, keys, {
        timestamp_s: Math.floor(Date.now() / 1000) - 400,
      }),
      future_timestamp: await reforgeWechatNotification(genuine, keys, {
        timestamp_s: Math.floor(Date.now() / 1000) + 400,
      }),
      not_json: { ...genuine, body: '<xml><return_code>SUCCESS</return_code></xml>' },
      empty: { ...genuine, body: '' },
    };
    for (const [name, forged] of Object.entries(forgeries)) {
      const reply = await replay(h.gateway_url, forged);
      expect(reply.status, name).toBeGreaterThanOrEqual(400);
      expect(await state(p.id), name).toBe('PENDING');
    }
    expect(await listEventsOfPayment(h.gateway.gw.store.db, p.id)).toEqual([]);
    // Through another account's URL the genuine notification does not verify either.
    const wrong_path = {
      ...genuine,
      path: genuine.path.replace(/ca_[0-9A-Z]+$/, 'ca_00000000000000000000000000'),
    };
    expect((await replay(h.gateway_url, wrong_path)).status).toBeGreaterThanOrEqual(400);

    // The genuine one still works afterwards.
    expect((await replay(h.gateway_url, genuine)).status).toBe(204);
    expect(await state(p.id)).toBe('SUCCESS');
  });

  it.skipIf(skip)('closes an unpaid payment at the channel first, and is idempotent', async () => {
    const p = await create(300);
    const closed = await h.client.request<PaymentView>('POST', `/v1/payments/${p.id}/close`, undefined, {
      'idempotency-key': `close-${p.id}`,
    });
    expect(closed.status).toBe(200);
    expect(closed.body.state).toBe('CLOSED');
    expect(h.sim.order(p.id)?.trade_state).toBe('CLOSED');
    const again = await h.client.request<PaymentView>('POST', `/v1/payments/${p.id}/close`);
    expect(again.body.state).toBe('CLOSED');
    expect((await listEventsOfPayment(h.gateway.gw.store.db, p.id)).map((e) => e.type)).toEqual([
      'payment.closed',
    ]);
  });

  it.skipIf(skip)('a close that finds the payer already paid ends SUCCESS, never CLOSED', async () => {
    const p = await create(301);
    h.proxy.forward = false; // the success notification is lost on the way
    try {
      await payAndNotify(p.id);
    } finally {
      h.proxy.forward = true;
    }
    expect(await state(p.id)).toBe('PENDING');
    const close = await h.client.request<{ error: { code: string } }>('POST', `/v1/payments/${p.id}/close`);
    expect(close.status).toBe(409);
    expect(close.body.error.code).toBe('PAYMENT_STATE_CONFLICT');
    expect(await state(p.id)).toBe('SUCCESS');
    expect((await listEventsOfPayment(h.gateway.gw.store.db, p.id)).map((e) => e.type)).toEqual([
      'payment.succeeded',
    ]);
  });
});
