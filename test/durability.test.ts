import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PaymentView } from '../src/services/payment-view.ts';
import {
  findPaymentById,
  findPaymentByOrderNo,
  scheduleCheck,
} from '../src/storage/repositories/payments.ts';
import { type DbKind, postgresAvailable } from './support/databases.ts';
import { type Harness, startHarness } from './support/harness.ts';

const pg_ok = await postgresAvailable();

/**
 * Which commits wait for the disk (ADR 0007). A QR order can only be paid with the
 * code the gateway answers with, so its CREATED row may commit without a flush: the answer waits
 * for the flushed commit of the channel's outcome, which carries the row with it. A payment code
 * is charged as soon as the channel receives it, so its row is flushed before the call. A
 * background check that learns nothing new only sets when to ask next; lost, it runs again.
 */
describe.each<DbKind>(['sqlite', 'postgres'])('which commits wait for the disk, on %s', (kind) => {
  const skip = kind === 'postgres' && !pg_ok;
  let h: Harness;
  let seq = 0;

  beforeAll(async () => {
    if (!skip) h = await startHarness(kind);
  });
  afterAll(async () => {
    if (!skip) await h.close();
  });

  /** What `run` returned, and the flushed and unflushed commits made meanwhile (the harness starts no background jobs). */
  async function commitsDuring<T>(
    run: () => Promise<T>,
  ): Promise<{ result: T; flushed: number; unflushed: number }> {
    const stats = h.gateway.gw.store.commit_stats;
    const before = { ...stats };
    const result = await run();
    const unflushed = stats.unflushed_commits - before.unflushed_commits;
    return { result, flushed: stats.commits - before.commits - unflushed, unflushed };
  }
  const create = (body: Record<string, unknown>) =>
    h.client.request<PaymentView>('POST', '/v1/payments', {
      merchant_order_no: `dur-${kind}-${++seq}`,
      amount: 100,
      subject: 'Bread',
      ...body,
    });

  it.skipIf(skip)(
    'a QR order: nonce and row unflushed, the channel outcome flushed before the answer',
    async () => {
      const { result: res, flushed, unflushed } = await commitsDuring(() => create({ pay_way: 'WX_NATIVE' }));
      expect(res.status).toBe(201);
      expect(res.body.state).toBe('PENDING');
      expect({ flushed, unflushed }).toEqual({ flushed: 1, unflushed: 2 });
    },
  );

  it.skipIf(skip)('a payment code: the row is flushed before the channel charges it', async () => {
    const commits = await commitsDuring(() => create({ pay_way: 'WX_BAR', auth_code: '134567890123456789' }));
    expect(commits.result.status).toBe(201);
    expect(commits.result.body.state).toBe('SUCCESS');
    // The nonce alone goes unflushed; the row, then the outcome and the success, wait for the disk.
    expect(commits.unflushed).toBe(1);
    expect(commits.flushed).toBeGreaterThanOrEqual(2);
  });

  it.skipIf(skip)('a check that finds the order still unpaid only reschedules, without a flush', async () => {
    const created = await create({ pay_way: 'WX_NATIVE' });
    const db = h.gateway.gw.store.db;
    const now = Date.now();
    await scheduleCheck(db, created.body.id, now - 1, 0);
    const commits = await commitsDuring(() => h.gateway.sync.runOnce());
    const after = (await findPaymentById(db, created.body.id))!;
    expect(after).toMatchObject({ state: 'PENDING', check_attempts: 1 });
    expect(after.next_check_at!).toBeGreaterThan(now);
    // Claims (each lane asks; those finding nothing commit nothing) and the new schedule go
    // unflushed; at most the channel's "not paid yet", which wrote nothing, counts as flushed.
    expect(commits.unflushed).toBeGreaterThanOrEqual(2);
    expect(commits.flushed).toBeLessThanOrEqual(1);
  });

  it.skipIf(skip)(
    'a retry that finds the order still CREATED (its first request at the channel) flushes the log before answering',
    async () => {
      const store = h.gateway.gw.store;
      const flush_log = store.flushLog;
      let flushes = 0;
      store.flushLog = async () => {
        flushes += 1;
        await flush_log.call(store);
      };
      try {
        h.sim.addFault({ kind: 'latency_ms', operation: 'create', latency_ms: 400, times: 1 });
        const order_no = `dur-${kind}-retry`;
        const body = { pay_way: 'WX_NATIVE', merchant_order_no: order_no };
        const first = create(body);
        // Once the first request's row is committed it waits at the channel; the retry comes now.
        for (let i = 0; i < 100; i++) {
          if (await findPaymentByOrderNo(store.db, h.merchant.app_id, order_no)) break;
          await new Promise((resolve) => setTimeout(resolve, 10));
        }
        const retry = await create(body);
        expect(retry.status).toBe(200);
        expect(retry.body.state).toBe('CREATED');
        expect(flushes).toBeGreaterThanOrEqual(1);
        const done = await first;
        expect(done.status).toBe(201);
        expect(done.body.id).toBe(retry.body.id);
        // Once the first request has answered, a retry reads a row that is already on disk.
        const before = flushes;
        const later = await create(body);
        expect(later.body).toMatchObject({ id: done.body.id, state: 'PENDING' });
        expect(flushes).toBe(before);
      } finally {
        store.flushLog = flush_log;
      }
    },
  );
});
