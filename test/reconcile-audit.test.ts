import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../src/domain/clock.ts';
import { SeededRandom } from '../src/domain/random.ts';
import { reconcileAccount } from '../src/reconcile/reconcile-account.ts';
import type { PaymentView } from '../src/services/payment-view.ts';
import type { RefundView } from '../src/services/refund-view.ts';
import { findPaymentById } from '../src/storage/repositories/payments.ts';
import { listReconcileItems, listReconcileRuns } from '../src/storage/repositories/reconcile.ts';
import { type DbKind, postgresAvailable } from './support/databases.ts';
import { type Harness, startHarness } from './support/harness.ts';

const pg_ok = await postgresAvailable();
const HOUR_MS = 3_600_000;

/**
 * The reconciliation audit trail in the database (migration 007): every injected bill difference
 * is one `reconcile_items` row of its class, a lost order's repair by query is recorded with what
 * it did, a clean day records a run and no items (no false positives) — on both databases.
 */
describe.each<DbKind>(['sqlite', 'postgres'])('reconciliation audit trail on %s', (kind) => {
  // 10:00 Beijing on 2026-06-02.
  const clock = new ManualClock(Date.parse('2026-06-02T02:00:00Z'));
  let h: Harness;
  let seq = 0;
  const skip = kind === 'postgres' && !pg_ok;

  beforeAll(async () => {
    if (skip) return;
    h = await startHarness(kind, { clock, random: new SeededRandom(71) });
  });
  afterAll(async () => {
    if (!skip) await h.close();
  });

  const accountId = () => h.merchant.channel_account_id;
  const db = () => h.gateway.gw.store.db;

  async function create(amount: number): Promise<PaymentView> {
    const res = await h.client.request<PaymentView>('POST', '/v1/payments', {
      merchant_order_no: `audit-${kind}-${++seq}`,
      pay_way: 'WX_NATIVE',
      amount,
      subject: 'Tea',
    });
    expect(res.status).toBe(201);
    return res.body;
  }
  async function paid(amount: number): Promise<PaymentView> {
    const p = await create(amount);
    expect(h.sim.pay(p.id).ok).toBe(true);
    await h.sim.deliverDueNotifications();
    expect((await findPaymentById(db(), p.id))!.state).toBe('SUCCESS');
    return p;
  }

  it.skipIf(skip)('records a clean day as a run with no items', async () => {
    const a = await paid(100);
    await paid(200);
    const r = await h.client.request<RefundView>('POST', `/v1/payments/${a.id}/refunds`, {
      merchant_refund_no: `audit-r-${++seq}`,
      amount: 30,
    });
    expect(r.status).toBe(201);
    await fetch(`${h.sim_url}/sim/refunds/${r.body.id}/settle`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ status: 'SUCCESS' }),
    });
    await h.sim.deliverDueNotifications();

    const report = await reconcileAccount(h.gateway.gw, accountId(), '2026-06-02', join(h.db.dir, 'clean'));
    expect(report.items).toEqual([]);
    const runs = await listReconcileRuns(db(), accountId(), '2026-06-02');
    expect(runs).toHaveLength(1);
    expect(runs[0]).toMatchObject({
      channel: 'wechat',
      status: 'complete',
      rows: 3,
      matched: 3,
      repaired: 0,
      unresolved: 0,
      finished_at: report.finished_at_ms,
    });
    expect(await listReconcileItems(db(), runs[0]!.id)).toEqual([]);
  });

  it.skipIf(skip)('records every injected difference once, and what the repair by query did', async () => {
    clock.advance(24 * HOUR_MS); // 2026-06-03
    const ok = await paid(500);
    const amount = await paid(501);
    const status = await paid(502);
    const missing = await paid(503);
    const extra = await paid(504);
    // A lost order: paid at the channel, the notification never arrives, no sync job runs.
    const lost = await create(505);
    h.proxy.forward = false;
    try {
      expect(h.sim.pay(lost.id).ok).toBe(true);
      await h.sim.deliverDueNotifications();
    } finally {
      h.proxy.forward = true;
    }
    for (const [p, bill_field] of [
      [amount, 'amount'],
      [status, 'status'],
      [missing, 'missing'],
      [extra, 'extra'],
    ] as const) {
      h.sim.addFault({ kind: 'bill_mismatch', operation: 'bill', order: p.id, bill_field, times: 1 });
    }
    const report = await reconcileAccount(h.gateway.gw, accountId(), '2026-06-03', join(h.db.dir, 'faults'));
    const [run] = await listReconcileRuns(db(), accountId(), '2026-06-03');
    expect(run).toMatchObject({
      status: 'complete',
      repaired: 1,
      unresolved: 4,
      rows: report.summary.bill_rows,
    });
    const items = await listReconcileItems(db(), run!.id);
    expect(
      items.map((i) => `${i.kind}:${i.out_trade_no}:${i.resolved_at === null ? 'open' : 'resolved'}`).sort(),
    ).toEqual(
      [
        `amount_mismatch:${amount.id}:open`,
        `missing_at_channel:${missing.id}:open`,
        `missing_here:${extra.id}X:open`,
        `status_mismatch:${lost.id}:resolved`,
        `status_mismatch:${status.id}:open`,
      ].sort(),
    );
    // No false positives: the clean payment is not there, and nothing is listed twice.
    expect(items.some((i) => i.out_trade_no === ok.id)).toBe(false);
    const amount_row = items.find((i) => i.kind === 'amount_mismatch')!;
    expect([amount_row.our_amount_fen, amount_row.channel_amount_fen]).toEqual([501, 502]);
    expect(amount_row.repair_action).toBeNull();
    const repaired = items.find((i) => i.out_trade_no === lost.id)!;
    expect(repaired.repair_action).toMatch(
      /^query payment .*channel SUCCESS.*PENDING → SUCCESS \(repaired\)$/,
    );
    expect(repaired.our_state).toBe('SUCCESS');
    expect(repaired.resolved_at).toBe(clock.now_ms());
    expect((await findPaymentById(db(), lost.id))!.state).toBe('SUCCESS');

    // The same day again: the faults were used up and the order repaired — a second, clean run.
    await reconcileAccount(h.gateway.gw, accountId(), '2026-06-03', join(h.db.dir, 'again'));
    const runs = await listReconcileRuns(db(), accountId(), '2026-06-03');
    expect(runs).toHaveLength(2);
    expect(runs[1]).toMatchObject({ unresolved: 0, repaired: 0, status: 'complete' });
    expect(await listReconcileItems(db(), runs[1]!.id)).toEqual([]);
  });

  it.skipIf(skip)('records a bill that cannot be read as bill_unusable', async () => {
    clock.advance(24 * HOUR_MS);
    h.sim.addFault({ kind: 'http_500', operation: 'bill', times: 10 });
    try {
      const report = await reconcileAccount(h.gateway.gw, accountId(), '2026-06-04', join(h.db.dir, 'x'));
      expect(report.status).toBe('bill_unusable');
    } finally {
      h.sim.clearFaults();
    }
    const [run] = await listReconcileRuns(db(), accountId(), '2026-06-04');
    expect(run).toMatchObject({ status: 'bill_unusable' });
    expect(run!.error).toBeTruthy();
  });
});
