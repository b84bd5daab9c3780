import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../src/domain/clock.ts';
import { QUERY_INTERVAL_MAX_MS } from '../src/domain/query-schedule.ts';
import { SeededRandom } from '../src/domain/random.ts';
import { SYNC_LANES_MIN, SYNC_LEASE_MS, syncLanes } from '../src/jobs/payment-sync.ts';
import { hashCreateInput, insertUnlessRetry, newPaymentRecord } from '../src/services/create-payment.ts';
import type { PaymentView } from '../src/services/payment-view.ts';
import { createResendAfterMs } from '../src/services/sync-payment.ts';
import { listEventsOfPayment } from '../src/storage/repositories/events.ts';
import { findPaymentById, scheduleCheck } from '../src/storage/repositories/payments.ts';
import { type DbKind, postgresAvailable } from './support/databases.ts';
import { type Harness, startHarness } from './support/harness.ts';
import { replay } from './support/recording-proxy.ts';

const pg_ok = await postgresAvailable();

/**
 * Orders are never lost: the sync job queries open payments on a schedule and closes them at the
 * channel when they expire. Driven by a ManualClock, so minutes pass in milliseconds.
 */
describe.each<DbKind>(['sqlite', 'postgres'])('payment sync on %s', (kind) => {
  const skip = kind === 'postgres' && !pg_ok;
  const clock = new ManualClock(Date.parse('2026-11-27T09:00:00Z'));
  let h: Harness;
  let seq = 0;

  beforeAll(async () => {
    if (!skip) h = await startHarness(kind, { clock, random: new SeededRandom(7) });
  });
  afterAll(async () => {
    if (!skip) await h.close();
  });

  async function create(expires_in_s = 600): Promise<PaymentView> {
    const res = await h.client.request<PaymentView>('POST', '/v1/payments', {
      merchant_order_no: `s-${kind}-${++seq}`,
      pay_way: 'WX_NATIVE',
      amount: 77,
      subject: 'Noodles',
      expires_in_s,
    });
    expect(res.status).toBe(201);
    return res.body;
  }
  const stateOf = async (id: string) => (await findPaymentById(h.gateway.gw.store.db, id))!.state;
  const eventsOf = async (id: string) =>
    (await listEventsOfPayment(h.gateway.gw.store.db, id)).map((e) => e.type);

  /** Moves the clock forward in steps, running the sync job at each, for `total_ms`. */
  async function advance(total_ms: number, step_ms = 5_000) {
    for (let t = 0; t < total_ms; t += step_ms) {
      clock.advance(step_ms);
      await h.gateway.sync.drain();
    }
  }

  it.skipIf(skip)(
    'finishes a create that a crash cut off between the commit and the channel call',
    async () => {
      // What the dead process left: the CREATED row, and nothing at the channel.
      const gw = h.gateway.gw;
      const app = (await gw.credentials.get(h.merchant.app_id))!;
      const input = {
        merchant_order_no: `s-${kind}-cut`,
        pay_way: 'WX_NATIVE' as const,
        amount: 91,
        subject: 'Dumplings',
      };
      const row = newPaymentRecord(gw, app, input, hashCreateInput(input), {
        channel: 'wechat',
        channel_account_id: h.merchant.channel_account_id,
        pay_way: 'WX_NATIVE',
        expires_at: clock.now_ms() + 600_000,
        code_url: null,
        next_check_at: clock.now_ms(),
        payer_json: null,
      });
      expect(await insertUnlessRetry(gw, row)).toBeNull();
      // Within the time a live create could still be running, nothing is sent again.
      await h.gateway.sync.drain();
      expect(await stateOf(row.id)).toBe('CREATED');
      await advance(createResendAfterMs(gw) + 60_000);
      const finished = (await findPaymentById(gw.store.db, row.id))!;
      expect(finished.state).toBe('PENDING');
      expect(finished.code_url).toMatch(/^weixin:\/\//);
      // The merchant's retry now gets the code to show, and the payer can pay.
      const retry = await h.client.request<PaymentView>('POST', '/v1/payments', input);
      expect(retry.status).toBe(200);
      expect(retry.body.code_url).toBe(finished.code_url);
      expect(h.sim.pay(row.id).ok).toBe(true);
      await h.sim.deliverDueNotifications();
      expect(await stateOf(row.id)).toBe('SUCCESS');
    },
  );

  it.skipIf(skip)('turns a paid payment whose notification was lost into SUCCESS by query', async () => {
    const p = await create();
    h.proxy.forward = false;
    try {
      expect(h.sim.pay(p.id).ok).toBe(true);
      await h.sim.deliverDueNotifications();
    } finally {
      h.proxy.forward = true;
    }
    expect(await stateOf(p.id)).toBe('PENDING');
    await advance(5_000);
    expect(await stateOf(p.id)).toBe('SUCCESS');
    expect(await eventsOf(p.id)).toEqual(['payment.succeeded']);
    // The lost notification turning up late changes nothing.
    const late = h.proxy.captured.at(-1)!;
    expect((await replay(h.gateway_url, late)).status).toBe(204);
    expect(await eventsOf(p.id)).toEqual(['payment.succeeded']);
    expect((await findPaymentById(h.gateway.gw.store.db, p.id))!.next_check_at).toBeNull();
  });

  it.skipIf(skip)('checks a few payments at a time, claiming each only as its check starts', async () => {
    const db = h.gateway.gw.store.db;
    const mine = await Promise.all(Array.from({ length: 10 }, () => create(3600)));
    const ids = mine.map((p) => p.id);
    clock.advance(5_000);
    const now = clock.now_ms();
    const rows = async () =>
      db
        .selectFrom('payments')
        .select(['id', 'next_check_at', 'check_attempts'])
        .where('id', 'in', ids)
        .execute();
    // Each query answers after 100 ms of real time, so the round is seen while it runs.
    h.sim.addFault({ kind: 'latency_ms', operation: 'query', latency_ms: 100 });
    let in_flight_max = 0;
    let unclaimed_beside_first_claim: number | null = null;
    try {
      let ended = false;
      const round = h.gateway.sync.runOnce().finally(() => {
        ended = true;
      });
      for (let polls = 0; polls < 500 && !ended; polls++) {
        const seen = await rows();
        // A claimed check's next_check_at is its lease end (the clock stands still meanwhile).
        const in_flight = seen.filter((r) => r.next_check_at === now + SYNC_LEASE_MS).length;
        in_flight_max = Math.max(in_flight_max, in_flight);
        if (in_flight > 0 && unclaimed_beside_first_claim === null)
          unclaimed_beside_first_claim = seen.filter(
            (r) => r.check_attempts === 0 && r.next_check_at! <= now,
          ).length;
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      expect(await round).toBeGreaterThanOrEqual(ids.length);
    } finally {
      h.sim.clearFaults();
    }
    expect(in_flight_max).toBeGreaterThan(0);
    const lanes = syncLanes(h.gateway.gw.settings.sync_checks_per_s);
    expect(lanes).toBe(SYNC_LANES_MIN);
    expect(in_flight_max).toBeLessThanOrEqual(lanes);
    // The rest were still due, not claimed ahead of time: a crash now would strand none of them.
    expect(unclaimed_beside_first_claim).toBeGreaterThanOrEqual(ids.length - lanes);
    for (const row of await rows()) {
      expect(row.check_attempts).toBe(1);
      expect(row.next_check_at).toBeGreaterThan(now);
    }
  });

  it.skipIf(skip)('finds a payment paid long after creation within the stated bound', async () => {
    const p = await create(3600);
    await advance(20 * 60_000, 60_000);
    expect(await stateOf(p.id)).toBe('PENDING');
    h.proxy.forward = false;
    try {
      expect(h.sim.pay(p.id).ok).toBe(true);
      await h.sim.deliverDueNotifications();
    } finally {
      h.proxy.forward = true;
    }
    await advance(QUERY_INTERVAL_MAX_MS, 30_000);
    expect(await stateOf(p.id)).toBe('SUCCESS');
  });

  it.skipIf(skip)('closes at the channel first when a payment expires unpaid', async () => {
    const p = await create(60);
    await advance(55_000);
    expect(await stateOf(p.id)).toBe('PENDING');
    expect(h.sim.order(p.id)?.trade_state).toBe('NOTPAY');
    await advance(10_000);
    expect(await stateOf(p.id)).toBe('CLOSED');
    expect(h.sim.order(p.id)?.trade_state).toBe('CLOSED');
    expect(await eventsOf(p.id)).toEqual(['payment.closed']);
  });

  it.skipIf(skip)('never closes a payment the payer paid at the last moment', async () => {
    const p = await create(60);
    await advance(55_000);
    h.proxy.forward = false;
    try {
      expect(h.sim.pay(p.id).ok).toBe(true);
      await h.sim.deliverDueNotifications();
    } finally {
      h.proxy.forward = true;
    }
    await advance(10_000);
    expect(await stateOf(p.id)).toBe('SUCCESS');
    expect(h.sim.order(p.id)?.trade_state).toBe('SUCCESS');
    expect(await eventsOf(p.id)).toEqual(['payment.succeeded']);
  });

  it.skipIf(skip)('ends a refund by query when its notification is lost', async () => {
    const p = await create();
    expect(h.sim.pay(p.id).ok).toBe(true);
    await h.sim.deliverDueNotifications();
    expect(await stateOf(p.id)).toBe('SUCCESS');
    const r = await h.client.request<{ id: string; state: string }>('POST', `/v1/payments/${p.id}/refunds`, {
      merchant_refund_no: `sr-${seq}`,
      amount: 77,
    });
    expect(r.body.state).toBe('PROCESSING');
    h.proxy.forward = false;
    try {
      const settled = await fetch(`${h.sim_url}/sim/refunds/${r.body.id}/settle`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '{"status":"SUCCESS"}',
      });
      expect(settled.status).toBe(200);
      await h.sim.deliverDueNotifications();
    } finally {
      h.proxy.forward = true;
    }
    const refundState = async () =>
      (await h.client.request<{ state: string }>('GET', `/v1/refunds/${r.body.id}`)).body.state;
    expect(await refundState()).toBe('PROCESSING');
    await advance(5_000);
    expect(await refundState()).toBe('SUCCESS');
    expect((await eventsOf(p.id)).filter((t) => t === 'refund.succeeded')).toHaveLength(1);
  });

  it.skipIf(skip)(
    'leaves a payment UNKNOWN while the channel is unreachable, then resolves it by query',
    async () => {
      h.channel_link.down = true;
      let p: PaymentView;
      try {
        p = await create();
        expect(p.state).toBe('UNKNOWN');
        await advance(60_000);
        expect(await stateOf(p.id)).toBe('UNKNOWN');
      } finally {
        h.channel_link.down = false;
      }
      // The prepay never reached the channel; the query says so, and at expiry it closes.
      await advance(QUERY_INTERVAL_MAX_MS, 60_000);
      expect(['UNKNOWN', 'CLOSED']).toContain(await stateOf(p.id));
      await advance(600_000, 60_000);
      expect(await stateOf(p.id)).toBe('CLOSED');
      expect(await eventsOf(p.id)).toEqual(['payment.closed']);
    },
  );
  it.skipIf(skip)(
    'reports how far behind its schedule it is when more checks fall due than a round runs',
    async () => {
      const db = h.gateway.gw.store.db;
      await h.gateway.sync.drain();
      const lag = async (kind: 'payment' | 'refund') =>
        (await h.gateway.gw.metrics.sync_lag_seconds.get()).values.find((v) => v.labels.kind === kind)?.value;
      const per_round = h.gateway.gw.settings.sync_checks_per_s;
      const ids: string[] = [];
      for (let i = 0; i < per_round + 5; i++) ids.push((await create()).id);
      const due_at = clock.now_ms() - 10_000;
      for (const id of ids) await scheduleCheck(db, id, due_at, 0);
      expect(await h.gateway.sync.runOnce()).toBe(per_round);
      // Five checks wait, due ten seconds ago (the clock does not move during the round).
      expect(await lag('payment')).toBe(10);
      expect(await lag('refund')).toBe(0);
      expect(await h.gateway.sync.runOnce()).toBe(5);
      expect(await lag('payment')).toBe(0);
    },
  );
  it.skipIf(skip)('runs as many checks a round as its rate allows, with a lane for every eight', async () => {
    const db = h.gateway.gw.store.db;
    await h.gateway.sync.drain();
    const settings = h.gateway.gw.settings;
    const rate_before = settings.sync_checks_per_s;
    settings.sync_checks_per_s = 40;
    try {
      const ids: string[] = [];
      for (let i = 0; i < 45; i++) ids.push((await create()).id);
      for (const id of ids) await scheduleCheck(db, id, clock.now_ms() - 1, 0);
      expect(await h.gateway.sync.runOnce()).toBe(40);
      expect(await h.gateway.sync.runOnce()).toBe(5);
    } finally {
      settings.sync_checks_per_s = rate_before;
    }
    expect(syncLanes(40)).toBe(5);
    expect(syncLanes(32)).toBe(SYNC_LANES_MIN);
    expect(syncLanes(1)).toBe(SYNC_LANES_MIN);
  });
});
