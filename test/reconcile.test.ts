import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { orderIdOf } from '../src/channels/unionpay/order-id.ts';
import {
  createUnionpaySimulator,
  type UnionpaySimulator,
} from '../src/channels/unionpay/simulator/server.ts';
import { KEYS, TEST_MER_ID } from '../src/channels/unionpay/testing.ts';
import { reconcileCommand } from '../src/cli/reconcile.ts';
import { ManualClock } from '../src/domain/clock.ts';
import { SeededRandom } from '../src/domain/random.ts';
import { reconcileAccount } from '../src/reconcile/reconcile-account.ts';
import type { AccountReport } from '../src/reconcile/report.ts';
import type { DiscrepancyClass } from '../src/reconcile/types.ts';
import type { PaymentView } from '../src/services/payment-view.ts';
import type { RefundView } from '../src/services/refund-view.ts';
import { createChannelAccount } from '../src/services/tenants.ts';
import { listEventsOfPayment } from '../src/storage/repositories/events.ts';
import { findPaymentById } from '../src/storage/repositories/payments.ts';
import { type Harness, startHarness } from './support/harness.ts';

const HOUR_MS = 3_600_000;
/** "<class>:<resolution>:<id>" of every item, sorted: one string a test can compare whole. */
const itemsOf = (report: AccountReport) =>
  report.items.map((i) => `${i.class}:${i.resolution}:${i.our_id}`).sort();
const count = (report: AccountReport, c: DiscrepancyClass) => report.summary.by_class[c];

describe('reconciliation with WeChat Pay', () => {
  // 10:00 Beijing on 2026-05-19.
  const clock = new ManualClock(Date.parse('2026-05-19T02:00:00Z'));
  let h: Harness;
  let seq = 0;

  beforeAll(async () => {
    h = await startHarness('sqlite', { clock, random: new SeededRandom(31) });
  });
  afterAll(async () => {
    await h.close();
  });

  const accountId = () => h.merchant.channel_account_id;
  const outDir = (name: string) => join(h.db.dir, 'reports', name);

  async function create(amount: number): Promise<PaymentView> {
    const res = await h.client.request<PaymentView>('POST', '/v1/payments', {
      merchant_order_no: `rc-${++seq}`,
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
    expect((await findPaymentById(h.gateway.gw.store.db, p.id))!.state).toBe('SUCCESS');
    return p;
  }
  async function refunded(payment_id: string, amount: number): Promise<string> {
    const r = await h.client.request<RefundView>('POST', `/v1/payments/${payment_id}/refunds`, {
      merchant_refund_no: `rr-${++seq}`,
      amount,
    });
    expect(r.status).toBe(201);
    const res = await fetch(`${h.sim_url}/sim/refunds/${r.body.id}/settle`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ status: 'SUCCESS' }),
    });
    expect(res.status).toBe(200);
    await h.sim.deliverDueNotifications();
    return r.body.id;
  }
  /** The payer pays but the channel's notification never reaches us, and no sync job runs. */
  async function lost(amount: number): Promise<PaymentView> {
    const p = await create(amount);
    h.proxy.forward = false;
    try {
      expect(h.sim.pay(p.id).ok).toBe(true);
      await h.sim.deliverDueNotifications();
    } finally {
      h.proxy.forward = true;
    }
    expect((await findPaymentById(h.gateway.gw.store.db, p.id))!.state).toBe('PENDING');
    return p;
  }
  const cli = (args: string[]) =>
    reconcileCommand(args, {
      env: { DATABASE_URL: h.db.url, PAYMUX_DATA_DIR: h.db.dir, PAYMUX_LOG_LEVEL: 'silent' },
      clock,
      random: new SeededRandom(32),
      print: () => {},
      printError: () => {},
    });

  it('finds nothing on a clean day, with the neighbouring days and refunds left out', async () => {
    const before = await paid(300); // 2026-05-19
    clock.advance(24 * HOUR_MS); // 2026-05-20 10:00
    const a = await paid(100);
    const b = await paid(250);
    const refund_id = await refunded(before.id, 120); // a refund of yesterday's payment, today
    await refunded(a.id, 10);
    clock.advance(15 * HOUR_MS); // 2026-05-21 01:00
    const after = await paid(999);
    await refunded(b.id, 50);

    const report = await reconcileAccount(h.gateway.gw, accountId(), '2026-05-20', outDir('clean'));
    expect(report.status).toBe('complete');
    expect(report.items).toEqual([]);
    expect(report.summary).toMatchObject({ bill_rows: 4, matched: 4, unresolved: 0, repaired: 0 });
    expect(report.totals.ours).toEqual({
      payments_count: 2,
      payments_fen: 350,
      refunds_count: 2,
      refunds_fen: 130,
    });
    expect(report.totals.bill).toMatchObject({ payments_fen: 350, refunds_fen: 130 });
    expect(report.totals.bill.fees_fen).not.toBe(0);
    expect([before.id, after.id, refund_id]).toHaveLength(3);
  });

  it('detects every injected bill difference and repairs the lost order by query', async () => {
    clock.advance(24 * HOUR_MS); // 2026-05-22 01:00
    const ok = await paid(500);
    const amount = await paid(501);
    const status = await paid(502);
    const missing = await paid(503);
    const extra = await paid(504);
    const order = await lost(505);
    for (const [p, bill_field] of [
      [amount, 'amount'],
      [status, 'status'],
      [missing, 'missing'],
      [extra, 'extra'],
    ] as const) {
      h.sim.addFault({ kind: 'bill_mismatch', operation: 'bill', order: p.id, bill_field, times: 1 });
    }
    const dir = outDir('faults');
    const report = await reconcileAccount(h.gateway.gw, accountId(), '2026-05-22', dir);
    expect(itemsOf(report)).toEqual(
      [
        `amount_mismatch:unresolved:${amount.id}`,
        `missing_at_channel:unresolved:${missing.id}`,
        `missing_here:unresolved:${extra.id}X`,
        `status_mismatch:repaired:${order.id}`,
        `status_mismatch:unresolved:${status.id}`,
      ].sort(),
    );
    expect(report.items.some((i) => i.our_id === ok.id)).toBe(false);
    expect(report.summary).toMatchObject({ unresolved: 4, repaired: 1 });
    expect(count(report, 'status_mismatch')).toEqual({ unresolved: 1, repaired: 1 });
    const amount_item = report.items.find((i) => i.class === 'amount_mismatch')!;
    expect([amount_item.ours?.amount_fen, amount_item.theirs?.amount_fen]).toEqual([501, 502]);

    // The repair went through the channel's word: SUCCESS, with the merchant's event, audited.
    expect((await findPaymentById(h.gateway.gw.store.db, order.id))!.state).toBe('SUCCESS');
    expect((await listEventsOfPayment(h.gateway.gw.store.db, order.id)).map((e) => e.type)).toEqual([
      'payment.succeeded',
    ]);
    expect(report.repairs).toEqual([
      expect.objectContaining({
        id: order.id,
        state_before: 'PENDING',
        state_after: 'SUCCESS',
        outcome: 'repaired',
      }),
    ]);

    // The files: the JSON report as returned, the CSV with a header and one line per item.
    const json = JSON.parse(readFileSync(join(dir, `${accountId()}.json`), 'utf8')) as AccountReport;
    expect(json.summary).toEqual(report.summary);
    expect(json.repairs).toHaveLength(1);
    const csv = readFileSync(join(dir, `${accountId()}.csv`), 'utf8')
      .trim()
      .split('\r\n');
    expect(csv[0]).toMatch(/^class,resolution,kind,our_id/);
    expect(csv).toHaveLength(1 + 5);
    expect(readFileSync(join(dir, `${accountId()}.json`), 'utf8')).not.toMatch(/PRIVATE KEY|apiv3_key/i);
  });

  it('answers through the CLI: 0 when clean, 1 when anything is unresolved, 2 on bad arguments', async () => {
    // The faults were used up and the lost order repaired: the same day is clean now.
    expect(await cli(['--channel', 'wechat', '--date', '2026-05-22'])).toBe(0);
    expect(existsSync(join(h.db.dir, 'reconciliation', 'wechat', '2026-05-22', `${accountId()}.json`))).toBe(
      true,
    );
    const p = await paid(700);
    h.sim.addFault({ kind: 'bill_mismatch', operation: 'bill', order: p.id, bill_field: 'amount', times: 1 });
    const out = outDir('cli');
    expect(
      await cli(['--channel=wechat', '--date=2026-05-22', `--account=${accountId()}`, '--out', out]),
    ).toBe(1);
    const json = JSON.parse(readFileSync(join(out, `${accountId()}.json`), 'utf8')) as AccountReport;
    expect(json.summary.by_class.amount_mismatch.unresolved).toBe(1);

    expect(await cli([])).toBe(2);
    expect(await cli(['--channel', 'paypal', '--date', '2026-05-22'])).toBe(2);
    expect(await cli(['--channel', 'wechat', '--date', '2026-02-30'])).toBe(2);
    expect(await cli(['--channel', 'wechat', '--date', '2026-05-22', '--bogus', 'x'])).toBe(2);
    expect(await cli(['--channel', 'wechat', '--date', '2026-05-22', '--account', 'ca_nope'])).toBe(2);
  });
});

describe('reconciliation with UnionPay', () => {
  // 10:00 Beijing on 2026-06-01 (the test merchant certificate expires 2026-11-26).
  const clock = new ManualClock(Date.parse('2026-06-01T02:00:00Z'));
  let h: Harness;
  let up: UnionpaySimulator;
  let up_url: string;
  let account_id: string;
  let seq = 0;

  beforeAll(async () => {
    h = await startHarness('sqlite', { clock, random: new SeededRandom(41) });
    up = createUnionpaySimulator({ clock, random: new SeededRandom(42) });
    up_url = await up.app.listen({ host: '127.0.0.1', port: 0 });
    up.registerMerchant({ mer_id: TEST_MER_ID, cert_pem: KEYS.merchant_cert_pem });
    const account = await createChannelAccount(h.gateway.gw, {
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
    account_id = account.id;
  });
  afterAll(async () => {
    await up.stop();
    await up.app.close();
    await h.close();
  });

  async function create(body: Record<string, unknown>): Promise<PaymentView> {
    const res = await h.client.request<PaymentView>('POST', '/v1/payments', {
      merchant_order_no: `up-${++seq}`,
      amount: 1000 + seq,
      subject: 'Dumplings',
      ...body,
    });
    expect(res.status).toBe(201);
    return res.body;
  }
  const barPaid = async () => {
    const p = await create({
      pay_way: 'UP_BAR',
      auth_code: `62123456789012345${String(seq).padStart(2, '0')}`,
    });
    expect(p.state).toBe('SUCCESS');
    return p;
  };
  const fault = async (p: PaymentView, bill_field: string) => {
    const res = await fetch(`${up_url}/sim/faults`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        kind: 'bill_mismatch',
        operation: 'bill',
        order: orderIdOf(p.id),
        bill_field,
        times: 1,
      }),
    });
    expect(res.status).toBe(201);
  };

  it('is clean on a clean day, then detects every injected difference and repairs a lost order', async () => {
    await barPaid();
    await barPaid();
    clock.advance(24 * HOUR_MS);
    const clean = await reconcileAccount(h.gateway.gw, account_id, '2026-06-01', join(h.db.dir, 'up-clean'));
    expect(clean).toMatchObject({ status: 'complete', items: [] });
    expect(clean.summary).toMatchObject({ bill_rows: 2, matched: 2, unresolved: 0 });

    // 2026-06-02
    const ok = await barPaid();
    const amount = await barPaid();
    const status = await barPaid();
    const missing = await barPaid();
    const extra = await barPaid();
    const qr = await create({ pay_way: 'UP_QR' });
    expect(await up.pay(orderIdOf(qr.id)!)).toMatchObject({ ok: true }); // its notification is never delivered
    await fault(amount, 'amount');
    await fault(status, 'status');
    await fault(missing, 'missing');
    await fault(extra, 'extra');
    clock.advance(24 * HOUR_MS);
    const report = await reconcileAccount(
      h.gateway.gw,
      account_id,
      '2026-06-02',
      join(h.db.dir, 'up-faults'),
    );
    expect(report.status).toBe('complete');
    const classes = report.items.map((i) => `${i.class}:${i.resolution}`).sort();
    expect(classes).toEqual(
      [
        'amount_mismatch:unresolved',
        'missing_at_channel:unresolved',
        'missing_here:unresolved',
        'status_mismatch:repaired',
        'status_mismatch:unresolved',
      ].sort(),
    );
    const byClass = (c: string) => report.items.filter((i) => i.class === c).map((i) => i.our_id);
    expect(byClass('amount_mismatch')).toEqual([amount.id]);
    expect(byClass('missing_at_channel')).toEqual([missing.id]);
    expect(byClass('status_mismatch').sort()).toEqual([qr.id, status.id].sort());
    expect(report.items.some((i) => i.our_id === ok.id)).toBe(false);
    expect((await findPaymentById(h.gateway.gw.store.db, qr.id))!.state).toBe('SUCCESS');
    expect((await listEventsOfPayment(h.gateway.gw.store.db, qr.id)).map((e) => e.type)).toEqual([
      'payment.succeeded',
    ]);
  });
});
