import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../domain/clock.ts';
import { SeededRandom } from '../../domain/random.ts';
import { closeHttpAgents } from '../http-client.ts';
import type { BillRow, ChannelAccount, ChannelContext, PaymentForChannel } from '../types.ts';
import { alipayAdapter } from './adapter.ts';
import { NOTIFY_ATTEMPTS_MAX } from './simulator/notifier.ts';
import { type AlipaySimulator, createAlipaySimulator } from './simulator/server.ts';
import { accountFor, type NotifyCapture, rsaPair, startNotifyCapture } from './testing.ts';
import { toBeijingDate } from './time.ts';

/**
 * The shared fault plan, driven through the simulator's control API, and what the adapter makes
 * of each fault: the payment-code unknowns (10003, timeouts) settled by query or cancel, gateway
 * failures, notification faults and Alipay's retry schedule, and bills that disagree.
 */
const T0_MS = Date.UTC(2025, 4, 20, 2, 0, 0);
const S = 1000;
const M = 60 * S;
const H = 60 * M;
const clock = new ManualClock(T0_MS);
const ctx: ChannelContext = { clock, random: new SeededRandom(3), timeout_ms: 2000 };
const app_keys = rsaPair();
const APP_ID = '2021000000000301';
let sim: AlipaySimulator;
let sim_url: string;
let capture: NotifyCapture;
let account: ChannelAccount;

beforeAll(async () => {
  sim = createAlipaySimulator({ clock, random: new SeededRandom(4) });
  sim_url = await sim.app.listen({ host: '127.0.0.1', port: 0 });
  capture = await startNotifyCapture();
  const registered = await fetch(`${sim_url}/sim/apps`, {
    method: 'POST',
    body: JSON.stringify({ app_id: APP_ID, app_public_key_pem: app_keys.public_key_pem }),
  });
  expect(registered.status).toBe(201);
  account = accountFor('ca_f', {
    app_id: APP_ID,
    app_private_key_pem: app_keys.private_key_pem,
    alipay_public_key_pem: sim.alipayPublicKeyPem,
    gateway_url: `${sim_url}/gateway.do`,
  });
});
afterAll(async () => {
  await sim.stop();
  await sim.app.close();
  await capture.close();
  closeHttpAgents();
});
beforeEach(async () => {
  await fetch(`${sim_url}/sim/faults`, { method: 'DELETE' });
  capture.respond = () => 'success';
});

async function fault(rule: object): Promise<void> {
  const response = await fetch(`${sim_url}/sim/faults`, { method: 'POST', body: JSON.stringify(rule) });
  expect(response.status).toBe(201);
}

let seq = 0;
function payment(overrides: Partial<PaymentForChannel> = {}): PaymentForChannel {
  seq++;
  const id = `pay_01JVFLT${String(seq).padStart(5, '0')}`;
  return {
    id,
    pay_way: 'ALI_BAR',
    auth_code: '281234567890123456',
    amount_fen: 1_005,
    subject: 'fault test',
    expires_at_ms: clock.now_ms() + 30 * M,
    channel_notify_url: `${capture.url}/notify/${id}`,
    ...overrides,
  };
}

const received = (id: string) => capture.received.filter((n) => n.body.includes(`out_trade_no=${id}`)).length;

describe('ALI_BAR: the payer confirms on the phone (user_paying, 10003)', () => {
  it('answers PAYING, then the query sees the success once the payer confirmed', async () => {
    const p = payment();
    await fault({ kind: 'user_paying', operation: 'create', order: p.id, resolve_after_ms: 20_000 });
    const outcome = await alipayAdapter.createPayment(ctx, account, p);
    expect(outcome).toMatchObject({
      kind: 'accepted',
      observation: { status: 'PAYING', channel_status: 'WAIT_BUYER_PAY' },
    });
    expect(await alipayAdapter.queryPayment(ctx, account, p.id)).toMatchObject({
      status: 'NOT_PAID',
      channel_status: 'WAIT_BUYER_PAY',
    });
    clock.advance(20_000);
    await sim.deliverDueNotifications();
    expect(received(p.id)).toBe(1);
    expect(await alipayAdapter.queryPayment(ctx, account, p.id)).toMatchObject({
      status: 'PAID',
      amount_fen: 1_005,
    });
  });

  it('a payer who never confirms: the trade closes', async () => {
    const p = payment();
    await fault({
      kind: 'user_paying',
      operation: 'create',
      order: p.id,
      resolve_after_ms: 5_000,
      resolves_to: 'failure',
    });
    await alipayAdapter.createPayment(ctx, account, p);
    clock.advance(5_000);
    expect(await alipayAdapter.queryPayment(ctx, account, p.id)).toMatchObject({ status: 'CLOSED' });
  });

  it('cancel while confirming: retry_flag=Y means call again, then the trade is closed', async () => {
    const p = payment();
    await fault({ kind: 'user_paying', operation: 'create', order: p.id, resolve_after_ms: 60_000 });
    await alipayAdapter.createPayment(ctx, account, p);
    await fault({ kind: 'system_error', operation: 'reverse', order: p.id, times: 1 });
    expect(await alipayAdapter.reversePayment!(ctx, account, p.id)).toEqual({ kind: 'retry' });
    expect(await alipayAdapter.reversePayment!(ctx, account, p.id)).toEqual({
      kind: 'reversed',
      channel_status: 'close',
    });
    clock.advance(60_000);
    await sim.deliverDueNotifications();
    expect(await alipayAdapter.queryPayment(ctx, account, p.id)).toMatchObject({ status: 'CLOSED' });
    expect(received(p.id)).toBe(0);
  });
});

describe('no usable answer', () => {
  it('timeout on pay: unknown, and the query finds it paid', async () => {
    const p = payment();
    await fault({ kind: 'timeout', operation: 'create', order: p.id, times: 1 });
    const outcome = await alipayAdapter.createPayment({ ...ctx, timeout_ms: 300 }, account, p);
    expect(outcome).toMatchObject({ kind: 'unknown', reason: expect.stringMatching(/^timeout: /) });
    expect(await alipayAdapter.queryPayment(ctx, account, p.id)).toMatchObject({ status: 'PAID' });
  });

  it('timeout on pay, then cancel: the paid trade is refunded', async () => {
    const p = payment();
    await fault({ kind: 'timeout', operation: 'create', order: p.id, times: 1 });
    expect((await alipayAdapter.createPayment({ ...ctx, timeout_ms: 300 }, account, p)).kind).toBe('unknown');
    expect(await alipayAdapter.reversePayment!(ctx, account, p.id)).toEqual({
      kind: 'reversed',
      channel_status: 'refund',
    });
  });

  it('ACQ.SYSTEM_ERROR on pay: unknown, nothing there', async () => {
    const p = payment();
    await fault({ kind: 'system_error', operation: 'create', order: p.id, times: 1 });
    expect(await alipayAdapter.createPayment(ctx, account, p)).toEqual({
      kind: 'unknown',
      reason: 'pay: 40004 ACQ.SYSTEM_ERROR: 系统错误',
    });
    expect(await alipayAdapter.queryPayment(ctx, account, p.id)).toMatchObject({ status: 'NOT_FOUND' });
  });

  it('HTTP 500 and latency past the deadline are unknown; small latency is fine', async () => {
    await fault({ kind: 'http_500', operation: 'query', times: 1 });
    expect(await alipayAdapter.queryPayment(ctx, account, 'pay_x')).toEqual({
      kind: 'unknown',
      reason: 'alipay.trade.query: HTTP 500',
    });
    await fault({ kind: 'latency_ms', operation: 'query', latency_ms: 600, times: 1 });
    expect(await alipayAdapter.queryPayment({ ...ctx, timeout_ms: 200 }, account, 'pay_x')).toMatchObject({
      kind: 'unknown',
      reason: expect.stringMatching(/^timeout: /),
    });
    await fault({ kind: 'latency_ms', operation: 'query', latency_ms: 50, times: 1 });
    expect(await alipayAdapter.queryPayment(ctx, account, 'pay_x')).toMatchObject({
      kind: 'observed',
      status: 'NOT_FOUND',
    });
  });

  it('a channel-wide fault applies to every order of that operation only', async () => {
    await fault({ kind: 'system_error', operation: 'refund', times: 1 });
    const p = payment();
    expect(await alipayAdapter.createPayment(ctx, account, p)).toMatchObject({ kind: 'accepted' });
    const r = {
      id: `rf_${p.id}`,
      payment_id: p.id,
      amount_fen: 1,
      payment_amount_fen: 1_005,
      channel_notify_url: '',
    };
    expect(await alipayAdapter.refund!(ctx, account, r)).toMatchObject({
      kind: 'unknown',
      reason: expect.stringContaining('ACQ.SYSTEM_ERROR'),
    });
    expect(await alipayAdapter.refund!(ctx, account, r)).toMatchObject({
      kind: 'observed',
      status: 'SUCCESS',
    });
  });
});

describe('notifications', () => {
  it('drop: never sent; duplicate: several copies at once', async () => {
    const dropped = payment({ pay_way: 'ALI_QR' });
    const duplicated = payment({ pay_way: 'ALI_QR' });
    await fault({ kind: 'drop_notification', operation: 'notify', order: dropped.id });
    await fault({ kind: 'duplicate_notification', operation: 'notify', order: duplicated.id, copies: 3 });
    for (const p of [dropped, duplicated]) {
      await alipayAdapter.createPayment(ctx, account, p);
      await sim.pay(p.id);
    }
    await sim.deliverDueNotifications();
    expect(received(dropped.id)).toBe(0);
    expect(received(duplicated.id)).toBe(3);
    const bodies = capture.received
      .filter((n) => n.body.includes(`out_trade_no=${duplicated.id}`))
      .map((n) => n.body);
    expect(new Set(bodies).size).toBe(1);
  });

  it('delay: sent late; withhold: sent when released', async () => {
    const delayed = payment({ pay_way: 'ALI_QR' });
    const withheld = payment({ pay_way: 'ALI_QR' });
    await fault({ kind: 'delay_notification', operation: 'notify', order: delayed.id, latency_ms: 90_000 });
    await fault({ kind: 'withhold_notification', operation: 'notify', order: withheld.id });
    for (const p of [delayed, withheld]) {
      await alipayAdapter.createPayment(ctx, account, p);
      await sim.pay(p.id);
    }
    await sim.deliverDueNotifications();
    expect([received(delayed.id), received(withheld.id)]).toEqual([0, 0]);
    clock.advance(90_000);
    await sim.deliverDueNotifications();
    expect([received(delayed.id), received(withheld.id)]).toEqual([1, 0]);
    const released = await fetch(`${sim_url}/sim/notifications/release`, { method: 'POST' });
    expect(await released.json()).toEqual({ released: 1 });
    await sim.deliverDueNotifications();
    expect(received(withheld.id)).toBe(1);
  });

  it("retries on Alipay's schedule until it reads exactly success, then stops", async () => {
    const p = payment({ pay_way: 'ALI_QR' });
    await alipayAdapter.createPayment(ctx, account, p);
    // Almost right is wrong: only the exact 7 characters end the retries.
    capture.respond = (_n, index) => (index % 2 === 0 ? 'success\n' : 'SUCCESS');
    await sim.pay(p.id);
    const start_ms = clock.now_ms();
    const offsets_ms = [0, 4 * M, 14 * M, 24 * M, 84 * M, 204 * M, 564 * M, 1464 * M];
    const seen: number[] = [];
    for (const offset_ms of offsets_ms) {
      clock.set(start_ms + offset_ms - 1);
      await sim.deliverDueNotifications();
      expect(received(p.id)).toBe(seen.length);
      clock.set(start_ms + offset_ms);
      await sim.deliverDueNotifications();
      seen.push(offset_ms);
      expect(received(p.id)).toBe(seen.length);
    }
    expect(offsets_ms).toHaveLength(NOTIFY_ATTEMPTS_MAX);
    expect(sim.order(p.id)!.notifications[0]).toMatchObject({ state: 'given_up', attempts: 8 });
    clock.advance(48 * H);
    await sim.deliverDueNotifications();
    expect(received(p.id)).toBe(8);

    const q = payment({ pay_way: 'ALI_QR' });
    await alipayAdapter.createPayment(ctx, account, q);
    capture.respond = (_n, index) => (received(q.id) === 1 && index >= 0 ? 'fail' : 'success');
    await sim.pay(q.id);
    await sim.deliverDueNotifications();
    clock.advance(4 * M);
    await sim.deliverDueNotifications();
    clock.advance(10 * M);
    await sim.deliverDueNotifications();
    expect(received(q.id)).toBe(2);
    expect(sim.order(q.id)!.notifications[0]).toMatchObject({ state: 'delivered', attempts: 2 });
  });
});

describe('bill_mismatch', () => {
  it('the bill disagrees as told: amount, status, missing, extra', async () => {
    const day = toBeijingDate(clock.now_ms());
    const [a, b, c, d] = [payment(), payment(), payment(), payment()];
    for (const p of [a, b, c, d])
      expect((await alipayAdapter.createPayment(ctx, account, p)).kind).toBe('accepted');
    await fault({ kind: 'bill_mismatch', operation: 'bill', order: a!.id, bill_field: 'amount' });
    await fault({ kind: 'bill_mismatch', operation: 'bill', order: b!.id, bill_field: 'missing' });
    await fault({ kind: 'bill_mismatch', operation: 'bill', order: c!.id, bill_field: 'status' });
    await fault({ kind: 'bill_mismatch', operation: 'bill', bill_field: 'extra', times: 1 });
    clock.advance(24 * H);
    const rows: BillRow[] = [];
    for await (const row of alipayAdapter.downloadBill!(ctx, account, day)) rows.push(row);
    const of = (id: string) => rows.filter((r) => r.out_trade_no === id);
    expect(of(a!.id)).toMatchObject([{ kind: 'payment', amount_fen: 1_006 }]);
    expect(of(b!.id)).toEqual([]);
    expect(of(c!.id)).toMatchObject([{ kind: 'refund', channel_status: '退款' }]);
    expect(of(d!.id)).toMatchObject([{ kind: 'payment', amount_fen: 1_005, fee_fen: 6 }]);
    expect(of('sim_extra_row')).toHaveLength(1);
  });
});
