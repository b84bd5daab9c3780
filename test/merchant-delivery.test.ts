import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../src/domain/clock.ts';
import { DELIVERY_ATTEMPTS_MAX, DELIVERY_DELAYS_MS } from '../src/domain/delivery-schedule.ts';
import { SeededRandom } from '../src/domain/random.ts';
import type { PaymentView } from '../src/services/payment-view.ts';
import { listDeliveryAttempts } from '../src/storage/repositories/delivery-attempts.ts';
import { findEvent, listEventsOfPayment } from '../src/storage/repositories/events.ts';
import { type Harness, startHarness } from './support/harness.ts';

/**
 * Merchant notifications under a ManualClock: the whole three-day schedule runs in milliseconds
 * and every attempt lands exactly when the schedule says.
 */
describe('merchant notification delivery', () => {
  const clock = new ManualClock(Date.parse('2026-11-27T08:00:00Z'));
  let h: Harness;
  let seq = 0;

  beforeAll(async () => {
    h = await startHarness('sqlite', { clock, random: new SeededRandom(2026) });
  });
  afterAll(async () => h.close());

  async function paidPayment(): Promise<{ payment: PaymentView; event_id: string }> {
    const res = await h.client.request<PaymentView>('POST', '/v1/payments', {
      merchant_order_no: `d-${++seq}`,
      pay_way: 'WX_NATIVE',
      amount: 42,
      subject: 'Cake',
      notify_url: h.receiver.url,
    });
    expect(res.status).toBe(201);
    expect(h.sim.pay(res.body.id).ok).toBe(true);
    await h.sim.deliverDueNotifications();
    const events = await listEventsOfPayment(h.gateway.gw.store.db, res.body.id);
    expect(events).toHaveLength(1);
    return { payment: res.body, event_id: events[0]!.id };
  }

  it('retries on the schedule until the merchant answers 2xx, recording every attempt', async () => {
    const { event_id } = await paidPayment();
    const db = h.gateway.gw.store.db;
    h.receiver.answer = 500;
    const created_at = (await findEvent(db, event_id))!.created_at;
    expect(await h.gateway.deliverer.drain()).toBe(1);
    let event = (await findEvent(db, event_id))!;
    expect(event).toMatchObject({
      delivery_state: 'pending',
      attempts: 1,
      next_attempt_at: created_at + DELIVERY_DELAYS_MS[1]!,
    });
    // Nothing is due one millisecond early.
    clock.advance(DELIVERY_DELAYS_MS[1]! - 1);
    expect(await h.gateway.deliverer.drain()).toBe(0);
    clock.advance(1);
    h.receiver.answer = 204;
    expect(await h.gateway.deliverer.drain()).toBe(1);
    event = (await findEvent(db, event_id))!;
    expect(event).toMatchObject({
      delivery_state: 'delivered',
      attempts: 2,
      next_attempt_at: null,
      last_error: null,
    });
    const attempts = await listDeliveryAttempts(db, event_id);
    expect(attempts.map((a) => [a.attempt_no, a.http_status])).toEqual([
      [1, 500],
      [2, 204],
    ]);
    // Delivered means done: later rounds send nothing more.
    clock.advance(7 * 24 * 3600_000);
    expect(await h.gateway.deliverer.drain()).toBe(0);
  });

  it('gives up only after the whole schedule (more than 3 days) and says so', async () => {
    const { event_id } = await paidPayment();
    const db = h.gateway.gw.store.db;
    h.receiver.answer = 503;
    const start = clock.now_ms();
    for (let i = 0; i < DELIVERY_ATTEMPTS_MAX; i++) {
      clock.set(start + DELIVERY_DELAYS_MS.slice(0, i + 1).reduce((a, b) => a + b, 0));
      expect(await h.gateway.deliverer.drain()).toBe(1);
    }
    expect(clock.now_ms() - start).toBeGreaterThanOrEqual(3 * 24 * 3600_000);
    const event = (await findEvent(db, event_id))!;
    expect(event).toMatchObject({
      delivery_state: 'exhausted',
      attempts: DELIVERY_ATTEMPTS_MAX,
      next_attempt_at: null,
    });
    expect(event.last_error).toContain('503');
    clock.advance(30 * 24 * 3600_000);
    expect(await h.gateway.deliverer.drain()).toBe(0);
    expect(await listDeliveryAttempts(db, event_id)).toHaveLength(DELIVERY_ATTEMPTS_MAX);
    h.receiver.answer = 200;
  });

  it('stop() waits for the deliveries in flight, so they are recorded before the store closes', async () => {
    const { event_id } = await paidPayment();
    const before = h.receiver.received.length;
    h.receiver.answer_delay_ms = 300;
    try {
      h.gateway.deliverer.start();
      for (let i = 0; i < 200 && h.receiver.received.length === before; i++) {
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
      expect(h.receiver.received.length).toBe(before + 1);
      // The merchant has the request and has not answered yet.
      await h.gateway.deliverer.stop();
      const event = (await findEvent(h.gateway.gw.store.db, event_id))!;
      expect(event).toMatchObject({ delivery_state: 'delivered', attempts: 1 });
      expect(await listDeliveryAttempts(h.gateway.gw.store.db, event_id)).toHaveLength(1);
    } finally {
      h.receiver.answer_delay_ms = 0;
      await h.gateway.deliverer.stop();
    }
  });

  it('treats a merchant that does not answer in time as a failed attempt', async () => {
    const { event_id } = await paidPayment();
    h.receiver.answer = 'hang';
    // The delivery timeout runs on real time; shortened here so the test stays quick.
    h.gateway.deliverer.timeout_ms = 300;
    const started = Date.now();
    await h.gateway.deliverer.drain(1);
    expect(Date.now() - started).toBeLessThan(3_000);
    const event = (await findEvent(h.gateway.gw.store.db, event_id))!;
    expect(event.delivery_state).toBe('pending');
    expect(event.last_error).toMatch(/timeout/);
    h.receiver.answer = 200;
  });
});
