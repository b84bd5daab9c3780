import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../src/domain/clock.ts';
import { SeededRandom } from '../src/domain/random.ts';
import { reconcileAccount } from '../src/reconcile/reconcile-account.ts';
import { applyObservation } from '../src/services/apply-observation.ts';
import type { PaymentView } from '../src/services/payment-view.ts';
import type { RefundView } from '../src/services/refund-view.ts';
import { listEventsOfPayment } from '../src/storage/repositories/events.ts';
import { CHANNEL_KITS, type ChannelKit, type KitRuntime } from './support/channel-kits.ts';
import { type DbKind, postgresAvailable } from './support/databases.ts';
import { type Harness, startHarness } from './support/harness.ts';

const pg_ok = await postgresAvailable();

/**
 * The shared channel scenario suite: the same scenarios for every channel, on both databases.
 * A channel adds only its kit (test/support/channel-kits.ts) and its expectations (flags on the
 * kit). The clock is pinned to 2026-06-01 (Beijing) because the UnionPay test certificates of the
 * vectors expired later that year.
 */
const cases = CHANNEL_KITS.flatMap((kit) => (['sqlite', 'postgres'] as DbKind[]).map((db) => ({ kit, db })));

describe.each(cases)('$kit.label on $db', ({ kit, db }: { kit: ChannelKit; db: DbKind }) => {
  const skip = db === 'postgres' && !pg_ok;
  const clock = new ManualClock(Date.parse('2026-06-01T02:00:00Z'));
  let h: Harness;
  let k: KitRuntime;
  let seq = 0;
  const day = '2026-06-01';

  beforeAll(async () => {
    if (skip) return;
    h = await startHarness(db, { clock, random: new SeededRandom(99) });
    k = await kit.start(h);
  });
  afterAll(async () => {
    if (skip) return;
    await k.stop();
    await h.close();
  });

  const create = (body: Record<string, unknown>) =>
    k.client.request<PaymentView & { error: { code: string } }>('POST', '/v1/payments', {
      merchant_order_no: `${kit.channel}-${db}-${++seq}`,
      amount: 1200 + seq,
      subject: 'Scenario',
      notify_url: h.receiver.url,
      ...body,
    });
  const get = async (id: string) => (await k.client.request<PaymentView>('GET', `/v1/payments/${id}`)).body;
  const eventsOf = async (id: string) =>
    (await listEventsOfPayment(h.gateway.gw.store.db, id)).map((e) => e.type);
  async function advance(total_ms: number, step_ms = 5_000) {
    for (let t = 0; t < total_ms; t += step_ms) {
      clock.advance(step_ms);
      await k.deliverNotifications();
      await h.gateway.sync.drain();
    }
  }

  it.skipIf(skip)('QR: create, the payer pays, the notification makes it SUCCESS once', async () => {
    const p = await create({ pay_way: kit.qr_way });
    expect(p.status).toBe(201);
    expect(p.body).toMatchObject({ state: 'PENDING', channel: kit.channel, pay_way: kit.qr_way });
    expect(p.body.code_url).toBeTruthy();
    await k.pay(p.body.id);
    await k.deliverNotifications();
    const paid = await get(p.body.id);
    expect(paid.state).toBe('SUCCESS');
    expect(paid.channel_trade_no).toBeTruthy();
    expect(await eventsOf(p.body.id)).toEqual(['payment.succeeded']);
  });

  it.skipIf(skip)('a lost notification is made good by query', async () => {
    const p = await create({ pay_way: kit.qr_way });
    await k.dropNextNotification();
    await k.pay(p.body.id);
    await k.deliverNotifications();
    expect((await get(p.body.id)).state).toBe('PENDING');
    await advance(30_000);
    expect((await get(p.body.id)).state).toBe('SUCCESS');
    expect(await eventsOf(p.body.id)).toEqual(['payment.succeeded']);
  });

  it.skipIf(skip)('a payment code is charged at once, also through AUTO_BAR', async () => {
    const direct = await create({ pay_way: kit.bar_way, auth_code: kit.barCode(seq) });
    expect(direct.body.state).toBe('SUCCESS');
    const auto = await create({ pay_way: 'AUTO_BAR', auth_code: kit.barCode(seq + 500) });
    expect(auto.body).toMatchObject({ state: 'SUCCESS', pay_way: kit.bar_way });
  });

  it.skipIf(skip)(
    'in-wallet pay: the payer identity goes in, what the wallet needs comes out, then SUCCESS',
    async () => {
      const missing = await create({ pay_way: kit.jsapi.way });
      expect(missing.status).toBe(400);
      const p = await create({ pay_way: kit.jsapi.way, payer: kit.jsapi.payer });
      expect(p.status).toBe(201);
      expect(p.body.state).toBe('PENDING');
      expect(p.body.credential?.[kit.jsapi.credential]).toBeTruthy();
      await k.pay(p.body.id);
      await k.deliverNotifications();
      expect((await get(p.body.id)).state).toBe('SUCCESS');
    },
  );

  it.skipIf(skip)('a payment code still unconfirmed after 30 s ends the same on both sides', async () => {
    await k.addFault({
      kind: 'user_paying',
      operation: 'create',
      times: 1,
      resolve_after_ms: 90_000,
      resolves_to: 'success',
    });
    const p = await create({ pay_way: kit.bar_way, auth_code: kit.barCode(seq + 700) });
    expect(['PENDING', 'UNKNOWN']).toContain(p.body.state);
    await advance(40_000);
    if (kit.reverses_while_paying) {
      // Cancelled at the channel: the payer's later confirmation cannot charge them.
      expect((await get(p.body.id)).state).toBe('REVERSED');
      await advance(120_000, 20_000);
      expect((await get(p.body.id)).state).toBe('REVERSED');
      expect(await eventsOf(p.body.id)).toEqual(['payment.reversed']);
    } else {
      // The channel will not cancel mid-confirmation: we keep asking; the payer confirms; paid.
      expect((await get(p.body.id)).state).toBe('PENDING');
      await advance(120_000, 20_000);
      expect(['SUCCESS', 'REVERSED']).toContain((await get(p.body.id)).state);
      expect((await eventsOf(p.body.id)).length).toBe(1);
    }
  });

  it.skipIf(skip)(
    'the merchant cancels a payment code: reversed at the channel, or told to retry',
    async () => {
      const paid = await create({ pay_way: kit.bar_way, auth_code: kit.barCode(seq + 300) });
      expect(paid.body.state).toBe('SUCCESS');
      const refused = await k.client.request<{ error: { code: string } }>(
        'POST',
        `/v1/payments/${paid.body.id}/cancel`,
      );
      expect(refused.body.error.code).toBe('PAYMENT_STATE_CONFLICT');
      await k.addFault({
        kind: 'user_paying',
        operation: 'create',
        times: 1,
        resolve_after_ms: 3_600_000,
        resolves_to: 'success',
      });
      const waiting = await create({ pay_way: kit.bar_way, auth_code: kit.barCode(seq + 400) });
      // Still confirming: PENDING, or UNKNOWN where the channel answers "result unknown" (UnionPay 03–05).
      expect(['PENDING', 'UNKNOWN']).toContain(waiting.body.state);
      const cancelled = await k.client.request<PaymentView & { error: { code: string; retryable: boolean } }>(
        'POST',
        `/v1/payments/${waiting.body.id}/cancel`,
      );
      if (kit.reverses_while_paying) {
        expect(cancelled.status).toBe(200);
        expect(cancelled.body.state).toBe('REVERSED');
        expect(await eventsOf(waiting.body.id)).toEqual(['payment.reversed']);
      } else {
        expect(cancelled.status).toBe(503);
        expect(cancelled.body.error).toMatchObject({ code: 'CHANNEL_UNAVAILABLE', retryable: true });
        expect((await get(waiting.body.id)).state).toBe(waiting.body.state);
      }
      // A charge whose result the channel could not tell (system busy): the cancel settles it.
      await k.addFault({ kind: 'system_error', operation: 'create', times: 1 });
      const unknown = await create({ pay_way: kit.bar_way, auth_code: kit.barCode(seq + 450) });
      expect(['UNKNOWN', 'PENDING']).toContain(unknown.body.state);
      const settled = await k.client.request<PaymentView>('POST', `/v1/payments/${unknown.body.id}/cancel`);
      expect(settled.status).toBe(200);
      expect(settled.body.state).toBe('REVERSED');
      const other = await create({ pay_way: kit.qr_way });
      expect(
        (await k.client.request<{ error: { code: string } }>('POST', `/v1/payments/${other.body.id}/cancel`))
          .body.error.code,
      ).toBe('PAYMENT_STATE_CONFLICT');
    },
  );

  it.skipIf(skip)('every other pay way of the channel: created, handed over, paid', async () => {
    for (const extra of kit.extra_ways) {
      const p = await create({ pay_way: extra.way, ...extra.body });
      expect(p.status, extra.way).toBe(201);
      expect(p.body.state, extra.way).toBe('PENDING');
      const credential = p.body.credential ?? {};
      expect(credential[extra.credential], extra.way).toBeTruthy();
      await extra.open?.(credential as Record<string, unknown>, k.sim_url);
      await k.pay(p.body.id);
      await k.deliverNotifications();
      expect((await get(p.body.id)).state, extra.way).toBe('SUCCESS');
    }
  });

  it.skipIf(skip)(
    'a success the channel reports after the payment ended is caught, not applied',
    async () => {
      const p = await create({ pay_way: kit.qr_way });
      await applyObservation(
        h.gateway.gw,
        p.body.id,
        { status: 'CLOSED', channel_status: 'CLOSED' },
        'close',
      );
      const late = await applyObservation(
        h.gateway.gw,
        p.body.id,
        { status: 'PAID', channel_status: 'PAID', amount_fen: p.body.amount },
        'query',
      );
      expect(late.kind).toBe('paid_after_end');
      expect((await get(p.body.id)).state).toBe('CLOSED');
      expect((await eventsOf(p.body.id)).sort()).toEqual(['payment.closed', 'payment.paid_after_close']);
    },
  );

  it.skipIf(skip)('closing an unpaid payment closes it at the channel, or says why not', async () => {
    const p = await create({ pay_way: kit.qr_way });
    const closed = await k.client.request<PaymentView & { error: { code: string } }>(
      'POST',
      `/v1/payments/${p.body.id}/close`,
    );
    if (kit.closes_qr_orders) {
      expect(closed.status).toBe(200);
      expect(closed.body.state).toBe('CLOSED');
    } else {
      expect(closed.status).toBe(409);
      expect(closed.body.error.code).toBe('PAYMENT_STATE_CONFLICT');
      expect((await get(p.body.id)).state).toBe('PENDING');
    }
    // Paying a closed order must not make it SUCCESS here.
    expect((await get(p.body.id)).state).not.toBe('SUCCESS');
  });

  it.skipIf(skip)('refunds in part, ends SUCCESS by the channel, never past the payment', async () => {
    const p = await create({ pay_way: kit.bar_way, auth_code: kit.barCode(seq + 900) });
    expect(p.body.state).toBe('SUCCESS');
    const r = await k.client.request<RefundView>('POST', `/v1/payments/${p.body.id}/refunds`, {
      merchant_refund_no: `k-${seq}`,
      amount: 200,
    });
    expect(r.status).toBe(201);
    for (
      let i = 0;
      i < 10 &&
      (await k.client.request<RefundView>('GET', `/v1/refunds/${r.body.id}`)).body.state !== 'SUCCESS';
      i++
    ) {
      await advance(20_000, 10_000);
    }
    expect((await k.client.request<RefundView>('GET', `/v1/refunds/${r.body.id}`)).body.state).toBe(
      'SUCCESS',
    );
    // The rest, in full: the payment is then wholly refunded.
    const rest = await k.client.request<RefundView>('POST', `/v1/payments/${p.body.id}/refunds`, {
      merchant_refund_no: `k-rest-${seq}`,
      amount: p.body.amount - 200,
    });
    expect(rest.status).toBe(201);
    for (
      let i = 0;
      i < 10 &&
      (await k.client.request<RefundView>('GET', `/v1/refunds/${rest.body.id}`)).body.state !== 'SUCCESS';
      i++
    ) {
      await advance(20_000, 10_000);
    }
    expect((await k.client.request<RefundView>('GET', `/v1/refunds/${rest.body.id}`)).body.state).toBe(
      'SUCCESS',
    );
    const over = await k.client.request<{ error: { code: string } }>(
      'POST',
      `/v1/payments/${p.body.id}/refunds`,
      {
        merchant_refund_no: `k-over-${seq}`,
        amount: 1,
      },
    );
    expect(over.body.error.code).toBe('REFUND_AMOUNT_EXCEEDS_PAYMENT');
  });

  it.skipIf(skip)("the day's bill reconciles with no discrepancy", async () => {
    // Bills of a day are complete the next morning.
    clock.set(Date.parse('2026-06-02T02:00:00Z'));
    const report = await reconcileAccount(
      h.gateway.gw,
      k.account_id,
      day,
      mkdtempSync(join(tmpdir(), 'paymux-kit-recon-')),
    );
    expect(report.status).toBe('complete');
    expect(report.summary.bill_rows).toBeGreaterThan(0);
    expect(report.items).toEqual([]);
    expect(report.summary.unresolved).toBe(0);
  });
});
