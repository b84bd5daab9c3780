import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../domain/clock.ts';
import { SeededRandom } from '../../domain/random.ts';
import { closeHttpAgents } from '../http-client.ts';
import type {
  BillRow,
  ChannelAccount,
  ChannelContext,
  NotificationOutcome,
  PaymentForChannel,
} from '../types.ts';
import { unionpayAdapter } from './adapter.ts';
import { NOTIFY_ATTEMPTS_MAX, NOTIFY_RETRY_DELAYS_MS } from './constants.ts';
import { SIGNATURE_FIELD, signAcpSync } from './crypto.ts';
import { type AcpFields, decodeForm, encodeForm } from './form.ts';
import { orderIdOf } from './order-id.ts';
import { createUnionpaySimulator, type UnionpaySimulator } from './simulator/server.ts';
import {
  accountFor,
  type CapturedRequest,
  type CaptureServer,
  KEYS,
  paymentId,
  refundId,
  type SimInfo,
  startCaptureServer,
  TEST_MER_ID,
} from './testing.ts';

/** Notifications and bills from the simulator, read by the adapter, on one ManualClock. */
const T0_MS = Date.UTC(2025, 4, 20, 1, 0, 0); // 09:00:00 in Beijing
const clock = new ManualClock(T0_MS);
const ids = new SeededRandom(41);
const ctx: ChannelContext = { clock, random: new SeededRandom(42), timeout_ms: 2000 };
const OTHER_MER_ID = '777290058167152';

let sim: UnionpaySimulator;
let info: SimInfo;
let account: ChannelAccount;
let capture: CaptureServer;
let sim_sign_key_pem: string;

beforeAll(async () => {
  sim = createUnionpaySimulator({
    clock,
    random: new SeededRandom(43),
    keyDir: mkdtempSync(join(tmpdir(), 'upsim-notify-')),
  });
  const url = await sim.app.listen({ host: '127.0.0.1', port: 0 });
  // The test reads the simulator's signing key so that it can forge correctly signed, otherwise bad messages.
  sim_sign_key_pem = readFileSync(join(sim.keyDir, 'sign.key'), 'utf8');
  sim.registerMerchant({ mer_id: TEST_MER_ID, cert_pem: KEYS.merchant_cert_pem });
  sim.registerMerchant({ mer_id: OTHER_MER_ID, cert_pem: KEYS.merchant_cert_pem });
  info = { url, root_cert_pem: sim.rootCertPem, middle_cert_pem: sim.middleCertPem };
  account = accountFor(info);
  capture = await startCaptureServer();
});

afterAll(async () => {
  await sim.stop();
  await sim.app.close();
  await capture.close();
  closeHttpAgents();
});

beforeEach(async () => {
  sim.faults.clear();
  capture.respond = () => 200;
  // Deliver whatever earlier tests left due, so each test sees only its own notifications.
  await sim.deliverDueNotifications();
  capture.requests.length = 0;
});

function payment(overrides: Partial<PaymentForChannel> = {}): PaymentForChannel {
  return {
    id: paymentId(clock, ids),
    pay_way: 'UP_QR',
    amount_fen: 2599,
    subject: 'notify test',
    expires_at_ms: clock.now_ms() + 30 * 60_000,
    channel_notify_url: `${capture.url}/v1/channel-notify/unionpay/ca_unionpay_test`,
    ...overrides,
  };
}

async function paidQr(acct: ChannelAccount = account, amount_fen = 2599): Promise<PaymentForChannel> {
  const p = payment({ amount_fen });
  expect(await unionpayAdapter.createPayment(ctx, acct, p)).toMatchObject({ kind: 'accepted' });
  expect((await sim.pay(orderIdOf(p.id)!)).ok).toBe(true);
  return p;
}

const parse = (body: string, acct: ChannelAccount = account): Promise<NotificationOutcome> =>
  unionpayAdapter.parseNotification(ctx, acct, { headers: {}, raw_body: body });

function resigned(fields: AcpFields, key_pem: string, cert_pem?: string): string {
  const out: AcpFields = { ...fields, ...(cert_pem !== undefined ? { signPubKeyCert: cert_pem } : {}) };
  delete out[SIGNATURE_FIELD];
  return encodeForm({ ...out, [SIGNATURE_FIELD]: signAcpSync(out, key_pem) });
}

describe('payment notification', () => {
  let p: PaymentForChannel;
  let captured: CapturedRequest;
  let fields: AcpFields;

  beforeAll(async () => {
    await sim.deliverDueNotifications();
    capture.requests.length = 0;
    p = await paidQr();
    expect(await sim.deliverDueNotifications()).toEqual({
      attempted: 1,
      delivered: 1,
      failed: 0,
      given_up: 0,
    });
    captured = capture.requests[0]!;
    fields = decodeForm(captured.body)!;
  });

  it('is a signed form POSTed to backUrl, with the simulator certificate inside', async () => {
    expect(captured.method).toBe('POST');
    expect(captured.url).toBe('/v1/channel-notify/unionpay/ca_unionpay_test');
    expect(captured.headers['content-type']).toMatch(/^application\/x-www-form-urlencoded/);
    expect(fields).toMatchObject({
      version: '5.1.0',
      signMethod: '01',
      txnType: '01',
      txnSubType: '07',
      bizType: '000000',
      merId: TEST_MER_ID,
      orderId: orderIdOf(p.id),
      txnAmt: '2599',
      respCode: '00',
      signPubKeyCert: sim.signCertPem,
    });
    expect((await sim.order(orderIdOf(p.id)!))!.notifications).toMatchObject([
      { state: 'delivered', attempts: 1, last_result: 'HTTP 200' },
    ]);
  });

  it('parses to the payment, every field exact; the reply is HTTP 200', async () => {
    const query_id = (await sim.order(orderIdOf(p.id)!))!.query_id!;
    expect(await parse(captured.body)).toEqual({
      kind: 'payment',
      out_trade_no: p.id,
      amount_fen: 2599,
      notification_id: `01:${query_id}`,
      status: 'PAID',
      channel_status: '00',
      channel_trade_no: query_id,
    });
    expect(unionpayAdapter.notificationReply(true)).toEqual({
      status: 200,
      content_type: 'text/plain',
      body: 'ok',
    });
    expect(unionpayAdapter.notificationReply(false).status).not.toBe(200);
  });

  it('refuses a bad signature, a tampered field, a self-signed or foreign-chain certificate', async () => {
    const signature = fields.signature!;
    const flipped = `${signature[0] === 'A' ? 'B' : 'A'}${signature.slice(1)}`;
    const cases: string[] = [
      encodeForm({ ...fields, signature: flipped }),
      encodeForm({ ...fields, txnAmt: '1' }),
      resigned({ ...fields, txnAmt: '1' }, KEYS.self_signed_private_key_pem, KEYS.self_signed_cert_pem),
      // The merchant certificate chains to the CFCA test root, not to the configured one.
      resigned(fields, KEYS.merchant_private_key_pem, KEYS.merchant_cert_pem),
      encodeForm({ ...fields, signPubKeyCert: KEYS.unionpay_sign_cert_pem }),
    ];
    for (const body of cases) {
      expect(await parse(body)).toMatchObject({ kind: 'rejected', code: 'NOTIFY_SIGNATURE_INVALID' });
    }
  });

  it('refuses a genuine notification for another merId, and a signed one with a bad amount', async () => {
    expect(await parse(captured.body, accountFor(info, { mer_id: OTHER_MER_ID }))).toMatchObject({
      kind: 'rejected',
      code: 'NOTIFY_MISMATCH',
    });
    expect(await parse(resigned({ ...fields, txnAmt: '12.5' }, sim_sign_key_pem))).toMatchObject({
      kind: 'rejected',
      code: 'NOTIFY_MALFORMED',
    });
    expect(await parse('orderId=1&orderId=2')).toMatchObject({ kind: 'rejected', code: 'NOTIFY_MALFORMED' });
    expect(await parse(resigned({ ...fields, txnType: '72' }, sim_sign_key_pem))).toEqual({
      kind: 'ignored',
      event_type: 'txnType=72',
    });
  });

  it('another merchant’s payment notification reaching this account is a mismatch', async () => {
    const other = accountFor(info, { mer_id: OTHER_MER_ID });
    await paidQr(other, 100);
    await sim.deliverDueNotifications();
    const body = capture.requests.at(-1)!.body;
    expect(await parse(body, other)).toMatchObject({ kind: 'payment', amount_fen: 100 });
    expect(await parse(body)).toMatchObject({ kind: 'rejected', code: 'NOTIFY_MISMATCH' });
  });
});

describe('refund notification', () => {
  it('names our refund and payment', async () => {
    const p = await paidQr();
    await sim.deliverDueNotifications();
    capture.requests.length = 0;
    const r = {
      id: refundId(clock, ids),
      payment_id: p.id,
      amount_fen: 99,
      payment_amount_fen: p.amount_fen,
      channel_notify_url: p.channel_notify_url,
    };
    expect(await unionpayAdapter.refund!(ctx, account, r)).toMatchObject({ status: 'PROCESSING' });
    await sim.deliverDueNotifications();
    expect(await parse(capture.requests[0]!.body)).toEqual({
      kind: 'refund',
      out_refund_no: r.id,
      out_trade_no: p.id,
      notification_id: expect.stringMatching(/^04:5\d{20}$/),
      status: 'SUCCESS',
      channel_status: '00',
      channel_refund_no: expect.stringMatching(/^5\d{20}$/),
      amount_fen: 99,
    });
  });
});

describe('delivery', () => {
  it('retries on the schedule until HTTP 200', async () => {
    capture.respond = (_r, i) => (i < 2 ? 500 : 200);
    const p = await paidQr();
    await sim.deliverDueNotifications();
    clock.advance(NOTIFY_RETRY_DELAYS_MS[0]! - 1);
    expect((await sim.deliverDueNotifications()).attempted).toBe(0);
    clock.advance(1);
    expect(await sim.deliverDueNotifications()).toMatchObject({ attempted: 1, failed: 1 });
    clock.advance(NOTIFY_RETRY_DELAYS_MS[1]!);
    expect(await sim.deliverDueNotifications()).toMatchObject({ attempted: 1, delivered: 1 });
    expect(capture.requests.map((r) => r.body)).toEqual([
      capture.requests[0]!.body,
      capture.requests[0]!.body,
      capture.requests[0]!.body,
    ]);
    expect((await sim.order(orderIdOf(p.id)!))!.notifications).toMatchObject([
      { state: 'delivered', attempts: 3 },
    ]);
  });

  it('gives up after the last attempt', async () => {
    capture.respond = () => 503;
    const p = await paidQr();
    for (let i = 0; i < NOTIFY_ATTEMPTS_MAX; i++) {
      await sim.deliverDueNotifications();
      clock.advance(NOTIFY_RETRY_DELAYS_MS[i] ?? 0);
    }
    expect(capture.requests).toHaveLength(NOTIFY_ATTEMPTS_MAX);
    expect((await sim.order(orderIdOf(p.id)!))!.notifications).toMatchObject([
      { state: 'given_up', attempts: NOTIFY_ATTEMPTS_MAX, next_at_ms: null, last_result: 'HTTP 503' },
    ]);
  });

  it('faults: drop, duplicate, delay, withhold', async () => {
    const dropped = payment();
    const duplicated = payment();
    const delayed = payment();
    const withheld = payment();
    sim.faults.add({ kind: 'drop_notification', operation: 'notify', order: orderIdOf(dropped.id) });
    sim.faults.add({
      kind: 'duplicate_notification',
      operation: 'notify',
      order: orderIdOf(duplicated.id),
      copies: 3,
    });
    sim.faults.add({
      kind: 'delay_notification',
      operation: 'notify',
      order: orderIdOf(delayed.id),
      latency_ms: 60_000,
    });
    sim.faults.add({ kind: 'withhold_notification', operation: 'notify', order: orderIdOf(withheld.id) });
    for (const p of [dropped, duplicated, delayed, withheld]) {
      await unionpayAdapter.createPayment(ctx, account, p);
      expect((await sim.pay(orderIdOf(p.id)!)).ok).toBe(true);
    }
    const orderOf = (r: CapturedRequest) => decodeForm(r.body)!.orderId;
    await sim.deliverDueNotifications();
    expect(capture.requests.map(orderOf)).toEqual([
      orderIdOf(duplicated.id),
      orderIdOf(duplicated.id),
      orderIdOf(duplicated.id),
    ]);
    clock.advance(60_000);
    await sim.deliverDueNotifications();
    expect(capture.requests.map(orderOf).slice(3)).toEqual([orderIdOf(delayed.id)]);
    const release = await fetch(`${info.url}/sim/notifications/release`, {
      method: 'POST',
      body: JSON.stringify({ order_id: orderIdOf(withheld.id) }),
    });
    expect(await release.json()).toEqual({ released: 1 });
    await sim.deliverDueNotifications();
    expect(capture.requests.map(orderOf).slice(4)).toEqual([orderIdOf(withheld.id)]);
    expect((await sim.order(orderIdOf(dropped.id)!))!.notifications).toMatchObject([
      { state: 'dropped', attempts: 0 },
    ]);
  });
});

describe('bill', () => {
  async function rowsOf(date: string): Promise<BillRow[]> {
    const rows: BillRow[] = [];
    for await (const row of unionpayAdapter.downloadBill!(ctx, account, date)) rows.push(row);
    return rows;
  }

  it('lists the day’s payments and refunds, in our words', async () => {
    const p = await paidQr(account, 10_000);
    const r = {
      id: refundId(clock, ids),
      payment_id: p.id,
      amount_fen: 2_500,
      payment_amount_fen: p.amount_fen,
      channel_notify_url: p.channel_notify_url,
    };
    await unionpayAdapter.refund!(ctx, account, r);
    const view = (await sim.order(orderIdOf(p.id)!))!;
    const rows = await rowsOf('2025-05-20');
    expect(rows.find((row) => row.out_trade_no === p.id && row.kind === 'payment')).toEqual({
      kind: 'payment',
      out_trade_no: p.id,
      channel_trade_no: view.query_id,
      amount_fen: 10_000,
      fee_fen: 38,
      channel_status: 'CONSUME:00',
      at_ms: Math.floor(clock.now_ms() / 1000) * 1000,
    });
    expect(rows.find((row) => row.kind === 'refund' && row.out_refund_no === r.id)).toMatchObject({
      out_trade_no: p.id,
      channel_trade_no: view.query_id,
      amount_fen: 2_500,
      fee_fen: 0,
      channel_status: 'REFUND:00',
    });
    expect(await rowsOf('2025-05-19')).toEqual([]);
  });

  it('bill_mismatch faults change the row of their order', async () => {
    const a = await paidQr(account, 700);
    const b = await paidQr(account, 800);
    const c = await paidQr(account, 900);
    sim.faults.add({
      kind: 'bill_mismatch',
      operation: 'bill',
      order: orderIdOf(a.id),
      bill_field: 'amount',
    });
    sim.faults.add({
      kind: 'bill_mismatch',
      operation: 'bill',
      order: orderIdOf(b.id),
      bill_field: 'missing',
    });
    sim.faults.add({
      kind: 'bill_mismatch',
      operation: 'bill',
      order: orderIdOf(c.id),
      bill_field: 'status',
    });
    const rows = await rowsOf('2025-05-20');
    expect(rows.find((row) => row.out_trade_no === a.id)?.amount_fen).toBe(701);
    expect(rows.find((row) => row.out_trade_no === b.id)).toBeUndefined();
    expect(rows.find((row) => row.out_trade_no === c.id)?.channel_status).toBe('CONSUME:01');
  });

  it('a failed download throws rather than yielding a partial bill', async () => {
    sim.faults.add({ kind: 'http_500', operation: 'bill', times: 1 });
    await expect(rowsOf('2025-05-20')).rejects.toThrow('unionpay bill: HTTP 500');
    await expect(rowsOf('2025-5-20')).rejects.toThrow('bill_date must be YYYY-MM-DD');
  });
});
