import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../domain/clock.ts';
import { SeededRandom } from '../../domain/random.ts';
import { closeHttpAgents } from '../http-client.ts';
import type { ChannelAccount, ChannelContext, PaymentForChannel, RefundForChannel } from '../types.ts';
import { unionpayAdapter } from './adapter.ts';
import { orderIdOf } from './order-id.ts';
import { createUnionpaySimulator, type UnionpaySimulator } from './simulator/server.ts';
import {
  accountFor,
  type CaptureServer,
  KEYS,
  paymentId,
  refundId,
  startCaptureServer,
  TEST_MER_ID,
} from './testing.ts';

/**
 * The adapter against the simulator over real loopback sockets, both on one ManualClock: every
 * request is really signed and checked, every reply really signed by the simulator's CA and
 * verified against its root and middle.
 */
const T0_MS = Date.UTC(2025, 4, 20, 2, 0, 0); // 10:00:00 in Beijing
const clock = new ManualClock(T0_MS);
const ids = new SeededRandom(31);
const ctx: ChannelContext = { clock, random: new SeededRandom(32), timeout_ms: 2000 };
const BAR_CODE = '6221234567890123456';

let sim: UnionpaySimulator;
let account: ChannelAccount;
let capture: CaptureServer;
let sim_url: string;

beforeAll(async () => {
  sim = createUnionpaySimulator({
    clock,
    random: new SeededRandom(33),
    keyDir: mkdtempSync(join(tmpdir(), 'upsim-adapter-')),
  });
  sim_url = await sim.app.listen({ host: '127.0.0.1', port: 0 });
  sim.registerMerchant({ mer_id: TEST_MER_ID, cert_pem: KEYS.merchant_cert_pem });
  account = accountFor({ url: sim_url, root_cert_pem: sim.rootCertPem, middle_cert_pem: sim.middleCertPem });
  capture = await startCaptureServer();
});

afterEach(() => {
  sim.faults.clear();
});

afterAll(async () => {
  await sim.stop();
  await sim.app.close();
  await capture.close();
  closeHttpAgents();
});

function payment(overrides: Partial<PaymentForChannel> = {}): PaymentForChannel {
  return {
    id: paymentId(clock, ids),
    pay_way: 'UP_QR',
    amount_fen: 888,
    subject: '测试 coffee',
    expires_at_ms: clock.now_ms() + 30 * 60_000,
    channel_notify_url: `${capture.url}/v1/channel-notify/unionpay/ca_unionpay_test`,
    ...overrides,
  };
}

function barPayment(overrides: Partial<PaymentForChannel> = {}): PaymentForChannel {
  return payment({ pay_way: 'UP_BAR', auth_code: BAR_CODE, ...overrides });
}

function refundOf(
  p: PaymentForChannel,
  amount_fen: number,
  overrides: Partial<RefundForChannel> = {},
): RefundForChannel {
  return {
    id: refundId(clock, ids),
    payment_id: p.id,
    amount_fen,
    payment_amount_fen: p.amount_fen,
    channel_notify_url: p.channel_notify_url,
    ...overrides,
  };
}

async function controlPay(order_id: string): Promise<number> {
  const response = await fetch(`${sim_url}/sim/orders/${order_id}/pay`, { method: 'POST' });
  await response.arrayBuffer();
  return response.status;
}

async function addFault(rule: object): Promise<void> {
  const response = await fetch(`${sim_url}/sim/faults`, { method: 'POST', body: JSON.stringify(rule) });
  expect(response.status).toBe(201);
  await response.arrayBuffer();
}

const orderId = (p: PaymentForChannel) => orderIdOf(p.id)!;

describe('UP_QR', () => {
  it('applies for a QR code, is queried PAYING, then PAID after the payer pays; close says paid', async () => {
    const p = payment();
    const created = await unionpayAdapter.createPayment(ctx, account, p);
    expect(created).toEqual({
      kind: 'accepted',
      credential: { code_url: expect.stringMatching(/^https:\/\/qr\.95516\.com\/00010000\/\d{20}$/) },
    });
    expect(await sim.order(orderId(p))).toMatchObject({
      way: 'qr',
      state: 'awaiting_payer',
      amount_fen: 888,
    });
    expect(await unionpayAdapter.queryPayment(ctx, account, p.id)).toEqual({
      kind: 'observed',
      status: 'PAYING',
      channel_status: '05',
      amount_fen: 888,
    });
    // The same orderId again is a duplicate (12): the order may exist, so unknown.
    expect(await unionpayAdapter.createPayment(ctx, account, p)).toMatchObject({
      kind: 'unknown',
      reason: expect.stringContaining('respCode=12'),
    });
    expect(await controlPay(orderId(p))).toBe(200);
    const query_id = (await sim.order(orderId(p)))!.query_id!;
    expect(query_id).toMatch(/^5\d{20}$/);
    expect(await unionpayAdapter.queryPayment(ctx, account, p.id)).toEqual({
      kind: 'observed',
      status: 'PAID',
      channel_status: '00',
      channel_trade_no: query_id,
      amount_fen: 888,
    });
    expect(await unionpayAdapter.closePayment(ctx, account, p.id)).toEqual({ kind: 'paid' });
  });

  it('cannot be closed while payable; after payTimeout it queries FAILED and closes', async () => {
    const p = payment({ expires_at_ms: clock.now_ms() + 60_000 });
    await unionpayAdapter.createPayment(ctx, account, p);
    expect(await unionpayAdapter.closePayment(ctx, account, p.id)).toMatchObject({
      kind: 'refused',
      channel_code: 'CLOSE_NOT_SUPPORTED',
    });
    clock.advance(61_000);
    expect(await unionpayAdapter.queryPayment(ctx, account, p.id)).toMatchObject({
      status: 'FAILED',
      channel_status: '01',
    });
    expect(await unionpayAdapter.closePayment(ctx, account, p.id)).toEqual({ kind: 'closed' });
    expect(await controlPay(orderId(p))).toBe(409);
  });
});

describe('UP_JSAPI', () => {
  it('creates an in-app order with the user auth code and returns the tn', async () => {
    const p = payment({ pay_way: 'UP_JSAPI', payer: { unionpay_user_auth_code: 'authCode0123456789' } });
    expect(await unionpayAdapter.createPayment(ctx, account, p)).toEqual({
      kind: 'accepted',
      credential: { trade_no: expect.stringMatching(/^7\d{20}$/) },
    });
    expect(await controlPay(orderId(p))).toBe(200);
    expect(await unionpayAdapter.queryPayment(ctx, account, p.id)).toMatchObject({ status: 'PAID' });
  });

  it('refuses without the auth code, before calling UnionPay', async () => {
    const p = payment({ pay_way: 'UP_JSAPI' });
    expect(await unionpayAdapter.createPayment(ctx, account, p)).toMatchObject({
      kind: 'refused',
      channel_code: 'PAYER_MISSING',
    });
    expect(await sim.order(orderId(p))).toBeUndefined();
  });
});

describe('UP_BAR', () => {
  it('charges the payment code at once', async () => {
    const p = barPayment();
    const created = await unionpayAdapter.createPayment(ctx, account, p);
    const query_id = (await sim.order(orderId(p)))!.query_id!;
    expect(created).toEqual({
      kind: 'accepted',
      credential: {},
      channel_trade_no: query_id,
      observation: { status: 'PAID', channel_status: '00', channel_trade_no: query_id, amount_fen: 888 },
    });
  });

  it('refuses a code that is not a UnionPay payment code, and pay ways it does not serve', async () => {
    expect(
      await unionpayAdapter.createPayment(ctx, account, barPayment({ auth_code: '134567890123456789' })),
    ).toMatchObject({
      kind: 'refused',
      channel_code: 'AUTH_CODE_INVALID',
    });
    expect(
      await unionpayAdapter.createPayment(ctx, account, payment({ pay_way: 'WX_NATIVE' })),
    ).toMatchObject({
      kind: 'refused',
      channel_code: 'PAY_WAY_UNSUPPORTED',
    });
    expect(await unionpayAdapter.createPayment(ctx, account, payment({ id: 'pay_short' }))).toMatchObject({
      kind: 'refused',
      channel_code: 'ORDER_ID_UNSUPPORTED',
    });
  });

  it('system error: unknown, then query finds it paid', async () => {
    await addFault({ kind: 'system_error', operation: 'create', times: 1 });
    const p = barPayment();
    expect(await unionpayAdapter.createPayment(ctx, account, p)).toMatchObject({
      kind: 'unknown',
      reason: expect.stringContaining('respCode=03'),
    });
    expect(await unionpayAdapter.queryPayment(ctx, account, p.id)).toMatchObject({ status: 'PAID' });
  });

  it('timeout: unknown, query finds it paid, cancel reverses it', async () => {
    const p = barPayment();
    await addFault({ kind: 'timeout', operation: 'create', order: orderId(p), times: 1 });
    const short: ChannelContext = { ...ctx, timeout_ms: 300 };
    expect(await unionpayAdapter.createPayment(short, account, p)).toMatchObject({
      kind: 'unknown',
      reason: expect.stringMatching(/^timeout: /),
    });
    expect(await unionpayAdapter.queryPayment(ctx, account, p.id)).toMatchObject({ status: 'PAID' });
    expect(await unionpayAdapter.reversePayment!(ctx, account, p.id)).toEqual({
      kind: 'reversed',
      channel_status: 'cancel:00',
    });
    expect(await unionpayAdapter.queryPayment(ctx, account, p.id)).toMatchObject({
      status: 'REVERSED',
      channel_status: 'cancel:00',
    });
    // A repeat is the same cancel (12), which succeeded.
    expect(await unionpayAdapter.reversePayment!(ctx, account, p.id)).toEqual({
      kind: 'reversed',
      channel_status: 'cancel:00',
    });
    expect((await sim.order(orderId(p)))!.cancelled).toBe(true);
    expect(await unionpayAdapter.refund!(ctx, account, refundOf(p, 100))).toMatchObject({
      kind: 'refused',
      channel_code: '35',
    });
  });

  it('payer must confirm: unknown (05), PAYING, reverse asks to retry, then PAID', async () => {
    const p = barPayment();
    await addFault({ kind: 'user_paying', operation: 'create', order: orderId(p), resolve_after_ms: 5_000 });
    expect(await unionpayAdapter.createPayment(ctx, account, p)).toMatchObject({
      kind: 'unknown',
      reason: expect.stringContaining('respCode=05'),
    });
    expect(await unionpayAdapter.queryPayment(ctx, account, p.id)).toMatchObject({ status: 'PAYING' });
    expect(await unionpayAdapter.reversePayment!(ctx, account, p.id)).toEqual({ kind: 'retry' });
    clock.advance(5_000);
    expect(await unionpayAdapter.queryPayment(ctx, account, p.id)).toMatchObject({ status: 'PAID' });
  });

  it('payer declines: FAILED, and there is nothing to cancel', async () => {
    const p = barPayment();
    await addFault({
      kind: 'user_paying',
      operation: 'create',
      order: orderId(p),
      resolve_after_ms: 1_000,
      resolves_to: 'failure',
    });
    await unionpayAdapter.createPayment(ctx, account, p);
    clock.advance(1_000);
    expect(await unionpayAdapter.queryPayment(ctx, account, p.id)).toMatchObject({
      status: 'FAILED',
      channel_status: '01',
    });
    expect(await unionpayAdapter.reversePayment!(ctx, account, p.id)).toMatchObject({
      kind: 'refused',
      channel_code: '01',
    });
  });
});

describe('query', () => {
  it('observes NOT_FOUND for an order UnionPay does not have', async () => {
    expect(await unionpayAdapter.queryPayment(ctx, account, paymentId(clock, ids))).toEqual({
      kind: 'observed',
      status: 'NOT_FOUND',
      channel_status: '34',
    });
  });
});

describe('refund', () => {
  it('partial, repeated, then the rest; more than paid is refused', async () => {
    const p = barPayment({ amount_fen: 1000 });
    await unionpayAdapter.createPayment(ctx, account, p);
    const first = refundOf(p, 300);
    const accepted = await unionpayAdapter.refund!(ctx, account, first);
    expect(accepted).toEqual({
      kind: 'observed',
      status: 'PROCESSING',
      channel_status: '00',
      channel_refund_no: expect.stringMatching(/^5\d{20}$/),
      amount_fen: 300,
    });
    const done = {
      kind: 'observed',
      status: 'SUCCESS',
      channel_status: '00',
      channel_refund_no: (accepted as { channel_refund_no: string }).channel_refund_no,
      amount_fen: 300,
    };
    expect(await unionpayAdapter.queryRefund!(ctx, account, first)).toEqual(done);
    // The same refund again is a duplicate at UnionPay; the adapter answers with its state.
    expect(await unionpayAdapter.refund!(ctx, account, first)).toEqual(done);
    expect((await sim.order(orderId(p)))!.refunded_fen).toBe(300);

    const query_id = (await sim.order(orderId(p)))!.query_id!;
    expect(
      await unionpayAdapter.refund!(ctx, account, refundOf(p, 701, { channel_trade_no: query_id })),
    ).toMatchObject({
      kind: 'refused',
      channel_code: '33',
    });
    expect(
      await unionpayAdapter.refund!(ctx, account, refundOf(p, 700, { channel_trade_no: query_id })),
    ).toMatchObject({
      kind: 'observed',
      status: 'PROCESSING',
    });
    expect((await sim.order(orderId(p)))!.refunded_fen).toBe(1000);
  });

  it('full refund; an unpaid payment cannot be refunded; an unknown refund is NOT_FOUND', async () => {
    const p = barPayment({ amount_fen: 500 });
    await unionpayAdapter.createPayment(ctx, account, p);
    expect(await unionpayAdapter.refund!(ctx, account, refundOf(p, 500))).toMatchObject({
      status: 'PROCESSING',
    });
    const unpaid = payment();
    await unionpayAdapter.createPayment(ctx, account, unpaid);
    expect(await unionpayAdapter.refund!(ctx, account, refundOf(unpaid, 1))).toMatchObject({
      kind: 'refused',
      channel_code: 'PAYMENT_NOT_PAID',
    });
    expect(await unionpayAdapter.queryRefund!(ctx, account, refundOf(p, 1))).toEqual({
      kind: 'observed',
      status: 'NOT_FOUND',
      channel_status: '34',
    });
  });
});

describe('faults and untrusted answers', () => {
  it('HTTP 500 and slow answers past the deadline are unknown; latency within it is fine', async () => {
    await addFault({ kind: 'http_500', operation: 'query', times: 1 });
    const p = barPayment();
    await unionpayAdapter.createPayment(ctx, account, p);
    expect(await unionpayAdapter.queryPayment(ctx, account, p.id)).toEqual({
      kind: 'unknown',
      reason: 'HTTP 500',
    });
    await addFault({ kind: 'latency_ms', operation: 'query', latency_ms: 50, times: 1 });
    expect(await unionpayAdapter.queryPayment(ctx, account, p.id)).toMatchObject({ status: 'PAID' });
    await addFault({ kind: 'latency_ms', operation: 'query', latency_ms: 600, times: 1 });
    expect(await unionpayAdapter.queryPayment({ ...ctx, timeout_ms: 200 }, account, p.id)).toMatchObject({
      kind: 'unknown',
      reason: expect.stringMatching(/^timeout: /),
    });
  });

  it('control API: refuses a bad fault rule, lists and clears them', async () => {
    const bad = await fetch(`${sim_url}/sim/faults`, {
      method: 'POST',
      body: '{"kind":"nope","operation":"*"}',
    });
    expect(bad.status).toBe(400);
    await bad.arrayBuffer();
    await addFault({ kind: 'http_500', operation: 'bill' });
    const listed = await fetch(`${sim_url}/sim/faults`);
    expect(await listed.json()).toEqual([{ kind: 'http_500', operation: 'bill' }]);
    const cleared = await fetch(`${sim_url}/sim/faults`, { method: 'DELETE' });
    expect(cleared.status).toBe(204);
    expect(sim.faults.list()).toEqual([]);
  });

  it('a request signed with a key UnionPay does not know is refused with 11', async () => {
    const stranger = accountFor(
      { url: sim_url, root_cert_pem: sim.rootCertPem, middle_cert_pem: sim.middleCertPem },
      { sign_private_key_pem: KEYS.self_signed_private_key_pem, sign_cert_pem: KEYS.self_signed_cert_pem },
    );
    expect(await unionpayAdapter.createPayment(ctx, stranger, payment())).toMatchObject({
      kind: 'refused',
      channel_code: '11',
    });
  });

  it('trusts no reply whose certificate does not chain to our anchors or does not name UnionPay', async () => {
    const p = barPayment();
    const other_root = accountFor({
      url: sim_url,
      root_cert_pem: KEYS.cfca_root_pem,
      middle_cert_pem: KEYS.cfca_middle_pem,
    });
    // The payment is made at the simulator, but we cannot know that: unknown, never accepted.
    expect(await unionpayAdapter.createPayment(ctx, other_root, p)).toMatchObject({
      kind: 'unknown',
      reason: expect.stringContaining('not_issued_by_middle'),
    });
    expect((await sim.order(orderId(p)))!.state).toBe('success');
    const other_cn = accountFor(
      { url: sim_url, root_cert_pem: sim.rootCertPem, middle_cert_pem: sim.middleCertPem },
      { signer_cn_name: '某某支付公司' },
    );
    expect(await unionpayAdapter.queryPayment(ctx, other_cn, p.id)).toMatchObject({
      kind: 'unknown',
      reason: expect.stringContaining('wrong_cn'),
    });
  });
});
