import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../domain/clock.ts';
import { SeededRandom } from '../../domain/random.ts';
import { closeHttpAgents } from '../http-client.ts';
import type { BillRow, ChannelAccount, ChannelContext, PaymentForChannel } from '../types.ts';
import { alipayAdapter } from './adapter.ts';
import { type AlipaySimulator, createAlipaySimulator } from './simulator/server.ts';
import { accountFor, makeTestCerts, type NotifyCapture, rsaPair, startNotifyCapture } from './testing.ts';
import { toBeijingDate } from './time.ts';

/**
 * The adapter against the simulator over real loopback sockets, on one ManualClock, for every pay
 * way and operation, in the four account shapes: direct or ISV, key or certificate mode. Every
 * request is really signed and checked, every reply really signed and verified.
 */
const T0_MS = Date.UTC(2025, 4, 20, 2, 0, 0); // 10:00 in Beijing
const clock = new ManualClock(T0_MS);
const ctx: ChannelContext = { clock, random: new SeededRandom(2), timeout_ms: 2000 };
const alipay_keys = rsaPair();
const app_keys = rsaPair();
const isv_keys = rsaPair();
const certs = makeTestCerts(alipay_keys, app_keys, isv_keys);

const APP_KEY = '2021000000000101';
const APP_CERT = '2021000000000102';
const MERCHANT_APP = '2021000000000103';
const ISV_KEY = '2021000000000104';
const ISV_CERT = '2021000000000105';
const SELLER_KEY = '2088000000000101';
const SELLER_CERT = '2088000000000102';
const SELLER_MERCHANT = '2088000000000103';

let sim: AlipaySimulator;
let sim_url: string;
let capture: NotifyCapture;
const accounts = new Map<string, ChannelAccount>();

beforeAll(async () => {
  const key_file = join(mkdtempSync(join(tmpdir(), 'alisim-')), 'alipay.pem');
  writeFileSync(key_file, alipay_keys.private_key_pem);
  sim = createAlipaySimulator({ clock, random: new SeededRandom(1), keyFile: key_file, certs });
  sim_url = await sim.app.listen({ host: '127.0.0.1', port: 0 });
  capture = await startNotifyCapture();
  sim.registerApp({ app_id: APP_KEY, app_public_key_pem: app_keys.public_key_pem, seller_id: SELLER_KEY });
  sim.registerApp({ app_id: APP_CERT, app_cert_pem: certs.app_cert_pem, seller_id: SELLER_CERT });
  sim.registerApp({
    app_id: MERCHANT_APP,
    app_public_key_pem: app_keys.public_key_pem,
    seller_id: SELLER_MERCHANT,
  });
  sim.registerApp({
    app_id: ISV_KEY,
    app_public_key_pem: isv_keys.public_key_pem,
    app_auth_tokens: { tok_isv_key: MERCHANT_APP },
  });
  sim.registerApp({
    app_id: ISV_CERT,
    app_cert_pem: certs.isv_cert_pem,
    app_auth_tokens: { tok_isv_cert: MERCHANT_APP },
  });
  const gateway_url = `${sim_url}/gateway.do`;
  const cert_mode = {
    alipay_public_cert_pem: certs.alipay_public_cert_pem,
    alipay_root_cert_pem: certs.alipay_root_cert_pem,
  };
  const key_mode = { alipay_public_key_pem: sim.alipayPublicKeyPem };
  accounts.set(
    'direct key',
    accountFor('ca_dk', {
      app_id: APP_KEY,
      app_private_key_pem: app_keys.private_key_pem,
      ...key_mode,
      seller_id: SELLER_KEY,
      gateway_url,
    }),
  );
  accounts.set(
    'direct cert',
    accountFor('ca_dc', {
      app_id: APP_CERT,
      app_private_key_pem: app_keys.private_key_pem,
      app_cert_pem: certs.app_cert_pem,
      ...cert_mode,
      gateway_url,
    }),
  );
  accounts.set(
    'ISV key',
    accountFor('ca_ik', {
      app_id: ISV_KEY,
      app_private_key_pem: isv_keys.private_key_pem,
      ...key_mode,
      app_auth_token: 'tok_isv_key',
      seller_id: SELLER_MERCHANT,
      gateway_url,
    }),
  );
  accounts.set(
    'ISV cert',
    accountFor('ca_ic', {
      app_id: ISV_CERT,
      app_private_key_pem: isv_keys.private_key_pem,
      app_cert_pem: certs.isv_cert_pem,
      ...cert_mode,
      app_auth_token: 'tok_isv_cert',
      seller_id: SELLER_MERCHANT,
      gateway_url,
    }),
  );
});

afterAll(async () => {
  await sim.stop();
  await sim.app.close();
  await capture.close();
  closeHttpAgents();
});

let seq = 0;
function payment(overrides: Partial<PaymentForChannel> = {}): PaymentForChannel {
  seq++;
  const id = `pay_01JVALI${String(seq).padStart(5, '0')}`;
  return {
    id,
    pay_way: 'ALI_QR',
    amount_fen: 8_888,
    subject: '测试 coffee & tea',
    expires_at_ms: clock.now_ms() + 30 * 60_000,
    channel_notify_url: `${capture.url}/notify/${id}`,
    ...overrides,
  };
}

async function controlPay(out_trade_no: string): Promise<number> {
  const response = await fetch(`${sim_url}/sim/orders/${out_trade_no}/pay`, { method: 'POST' });
  await response.arrayBuffer();
  return response.status;
}

/** The notifications captured for one payment. */
function notificationsFor(id: string): string[] {
  return capture.received
    .filter((n) => new URLSearchParams(n.body).get('out_trade_no') === id)
    .map((n) => n.body);
}

describe.each(['direct key', 'direct cert', 'ISV key', 'ISV cert'])('%s', (mode) => {
  const account = () => accounts.get(mode)!;
  const merchant_app = mode.startsWith('ISV') ? MERCHANT_APP : mode === 'direct key' ? APP_KEY : APP_CERT;
  const seller = mode.startsWith('ISV') ? SELLER_MERCHANT : mode === 'direct key' ? SELLER_KEY : SELLER_CERT;
  const day = () => toBeijingDate(clock.now_ms());
  let bill_day = '';
  const refunded: string[] = [];

  it('ALI_QR: precreate, payer pays, notification verified, query says paid', async () => {
    bill_day = day();
    const p = payment();
    const outcome = await alipayAdapter.createPayment(ctx, account(), p);
    expect(outcome).toEqual({
      kind: 'accepted',
      credential: { code_url: expect.stringMatching(/^https:\/\/qr\.alipay\.com\/bax0[A-Za-z0-9]{20}$/) },
    });
    expect(sim.order(p.id)).toMatchObject({
      auth_app_id: merchant_app,
      seller_id: seller,
      total_amount: '88.88',
      subject: p.subject,
    });
    // A retry of the same create gets the same QR content; other content under the same number is refused.
    expect(await alipayAdapter.createPayment(ctx, account(), p)).toEqual(outcome);
    expect(await alipayAdapter.createPayment(ctx, account(), { ...p, amount_fen: 8_887 })).toMatchObject({
      kind: 'refused',
      channel_code: 'ACQ.CONTEXT_INCONSISTENT',
    });
    expect(await alipayAdapter.queryPayment(ctx, account(), p.id)).toMatchObject({
      kind: 'observed',
      status: 'NOT_PAID',
      channel_status: 'WAIT_BUYER_PAY',
    });

    expect(await controlPay(p.id)).toBe(200);
    await sim.deliverDueNotifications();
    const [body] = notificationsFor(p.id);
    const parsed = await alipayAdapter.parseNotification(ctx, account(), { headers: {}, raw_body: body! });
    expect(parsed).toEqual({
      kind: 'payment',
      out_trade_no: p.id,
      amount_fen: 8_888,
      notification_id: expect.stringMatching(/^\d{34}$/),
      status: 'PAID',
      channel_status: 'TRADE_SUCCESS',
      channel_trade_no: sim.order(p.id)!.trade_no,
      paid_at_ms: clock.now_ms() - (clock.now_ms() % 1000),
    });
    expect(sim.order(p.id)!.notifications[0]).toMatchObject({ state: 'delivered', attempts: 1 });
    expect(await alipayAdapter.queryPayment(ctx, account(), p.id)).toEqual({
      kind: 'observed',
      status: 'PAID',
      channel_status: 'TRADE_SUCCESS',
      channel_trade_no: sim.order(p.id)!.trade_no,
      amount_fen: 8_888,
      paid_at_ms: clock.now_ms() - (clock.now_ms() % 1000),
    });
  });

  it('ALI_BAR: pays at once with a valid code; refuses an invalid one; needs a code', async () => {
    const p = payment({ pay_way: 'ALI_BAR', auth_code: '287654321012345678', amount_fen: 1 });
    const outcome = await alipayAdapter.createPayment(ctx, account(), p);
    expect(outcome).toMatchObject({
      kind: 'accepted',
      credential: {},
      channel_trade_no: sim.order(p.id)!.trade_no,
      observation: { status: 'PAID', channel_status: 'TRADE_SUCCESS', amount_fen: 1 },
    });
    expect(
      await alipayAdapter.createPayment(
        ctx,
        account(),
        payment({ pay_way: 'ALI_BAR', auth_code: '134567890123456789' }),
      ),
    ).toEqual({
      kind: 'refused',
      channel_code: 'ACQ.PAYMENT_AUTH_CODE_INVALID',
      message: expect.stringContaining('40004'),
    });
    expect(await alipayAdapter.createPayment(ctx, account(), payment({ pay_way: 'ALI_BAR' }))).toMatchObject({
      kind: 'refused',
      channel_code: 'AUTH_CODE_MISSING',
    });
  });

  it('ALI_JSAPI: buyer_id or open_id, the trade_no in the credential', async () => {
    for (const payer of [
      { alipay_buyer_id: '2088102534368455' },
      { alipay_open_id: '074a1CcTG1LelxKe4xQC0zgNdId0nxi95b5lsNpazWYoCo5' },
    ]) {
      const p = payment({ pay_way: 'ALI_JSAPI', payer });
      const outcome = await alipayAdapter.createPayment(ctx, account(), p);
      const trade_no = sim.order(p.id)!.trade_no;
      expect(outcome).toEqual({ kind: 'accepted', credential: { trade_no }, channel_trade_no: trade_no });
    }
    const both = payment({
      pay_way: 'ALI_JSAPI',
      payer: { alipay_buyer_id: '2088102534368455', alipay_open_id: 'x' },
    });
    expect(await alipayAdapter.createPayment(ctx, account(), both)).toMatchObject({
      kind: 'refused',
      channel_code: 'PAYER_MISSING',
    });
  });

  it.each(['ALI_WAP', 'ALI_PC'] as const)(
    '%s: the signed URL and the form both open the cashier',
    async (pay_way) => {
      const p = payment({ pay_way, return_url: 'https://shop.example/return?x=1' });
      const outcome = await alipayAdapter.createPayment(ctx, account(), p);
      expect(outcome.kind).toBe('accepted');
      const credential = outcome.kind === 'accepted' ? outcome.credential : {};
      expect(credential.pay_url).toMatch(new RegExp(`^${sim_url}/gateway\\.do\\?app_id=`));
      const page = await fetch(credential.pay_url!);
      const html = await page.text();
      expect(page.status).toBe(200);
      expect(html).toContain('支付宝收银台');
      expect(html).toContain(p.id);
      expect(sim.order(p.id)).toMatchObject({
        product: pay_way === 'ALI_WAP' ? 'wap' : 'page',
        trade_status: 'WAIT_BUYER_PAY',
      });

      // The form posts the same signed parameters; the trade is the same one.
      const form = credential.pay_form_html!;
      const fields = new URLSearchParams();
      for (const m of form.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)"\/>/g))
        fields.append(
          m[1]!,
          m[2]!
            .replaceAll('&quot;', '"')
            .replaceAll('&amp;', '&')
            .replaceAll('&lt;', '<')
            .replaceAll('&gt;', '>')
            .replaceAll('&#39;', "'"),
        );
      const action = /action="([^"]+)"/.exec(form)![1]!.replaceAll('&amp;', '&');
      const posted = await fetch(action, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: fields.toString(),
      });
      expect(await posted.text()).toContain(p.id);

      expect(await controlPay(p.id)).toBe(200);
      expect(await alipayAdapter.queryPayment(ctx, account(), p.id)).toMatchObject({
        status: 'PAID',
        amount_fen: 8_888,
      });
    },
  );

  it('ALI_APP: a signed order string the app hands to Alipay', async () => {
    const p = payment({ pay_way: 'ALI_APP' });
    const outcome = await alipayAdapter.createPayment(ctx, account(), p);
    const order_string = outcome.kind === 'accepted' ? outcome.credential.app_order_string! : '';
    expect(new URLSearchParams(order_string).get('method')).toBe('alipay.trade.app.pay');
    const submitted = await fetch(`${sim_url}/sim/app-orders`, { method: 'POST', body: order_string });
    expect(submitted.status).toBe(200);
    // One changed character and the signature no longer holds.
    const forged = await fetch(`${sim_url}/sim/app-orders`, {
      method: 'POST',
      body: order_string.replace('88.88', '0.01'),
    });
    expect(await forged.json()).toMatchObject({ code: '40002', sub_code: 'isv.invalid-signature' });
    expect(await controlPay(p.id)).toBe(200);
    expect(await alipayAdapter.queryPayment(ctx, account(), p.id)).toMatchObject({ status: 'PAID' });
  });

  it('close: an open trade closes; closing again or a paid trade is settled by query', async () => {
    const open = payment();
    await alipayAdapter.createPayment(ctx, account(), open);
    expect(await alipayAdapter.closePayment(ctx, account(), open.id)).toEqual({ kind: 'closed' });
    expect(await alipayAdapter.queryPayment(ctx, account(), open.id)).toMatchObject({
      status: 'CLOSED',
      channel_status: 'TRADE_CLOSED',
    });
    expect(await alipayAdapter.closePayment(ctx, account(), open.id)).toEqual({ kind: 'closed' });
    const paid = payment({ pay_way: 'ALI_BAR', auth_code: '281234567890123456' });
    await alipayAdapter.createPayment(ctx, account(), paid);
    expect(await alipayAdapter.closePayment(ctx, account(), paid.id)).toEqual({ kind: 'paid' });
    expect(await alipayAdapter.closePayment(ctx, account(), 'pay_nowhere')).toMatchObject({
      kind: 'refused',
      channel_code: 'ACQ.TRADE_NOT_EXIST',
    });
    expect(await alipayAdapter.queryPayment(ctx, account(), 'pay_nowhere')).toEqual({
      kind: 'observed',
      status: 'NOT_FOUND',
      channel_status: 'ACQ.TRADE_NOT_EXIST',
    });
  });

  it('cancel: a paid payment-code trade is refunded, an open one closed', async () => {
    const paid = payment({ pay_way: 'ALI_BAR', auth_code: '301234567890123456' });
    await alipayAdapter.createPayment(ctx, account(), paid);
    expect(await alipayAdapter.reversePayment!(ctx, account(), paid.id)).toEqual({
      kind: 'reversed',
      channel_status: 'refund',
    });
    expect(await alipayAdapter.queryPayment(ctx, account(), paid.id)).toMatchObject({ status: 'CLOSED' });
    const open = payment();
    await alipayAdapter.createPayment(ctx, account(), open);
    expect(await alipayAdapter.reversePayment!(ctx, account(), open.id)).toEqual({
      kind: 'reversed',
      channel_status: 'close',
    });
  });

  it('refund: partial, idempotent repeat, full, too much; refund query', async () => {
    const p = payment({ pay_way: 'ALI_BAR', auth_code: '251234567890123456', amount_fen: 10_000 });
    await alipayAdapter.createPayment(ctx, account(), p);
    const trade_no = sim.order(p.id)!.trade_no;
    const refund = (id: string, amount_fen: number) => ({
      id,
      payment_id: p.id,
      channel_trade_no: trade_no,
      amount_fen,
      payment_amount_fen: 10_000,
      reason: '退货',
      channel_notify_url: `${capture.url}/refund`,
    });
    const first = refund(`rf_${p.id}_1`, 3_001);
    expect(await alipayAdapter.refund!(ctx, account(), first)).toEqual({
      kind: 'observed',
      status: 'SUCCESS',
      channel_status: 'fund_change=Y',
      channel_refund_no: trade_no,
      amount_fen: 3_001,
      succeeded_at_ms: clock.now_ms() - (clock.now_ms() % 1000),
    });
    // The same request again moves no money: fund_change=N, to be confirmed by the refund query.
    expect(await alipayAdapter.refund!(ctx, account(), first)).toMatchObject({
      kind: 'observed',
      status: 'PROCESSING',
      channel_status: 'fund_change=N',
    });
    expect(await alipayAdapter.queryRefund!(ctx, account(), first)).toMatchObject({
      kind: 'observed',
      status: 'SUCCESS',
      channel_status: 'REFUND_SUCCESS',
      amount_fen: 3_001,
    });
    expect(await alipayAdapter.refund!(ctx, account(), { ...first, amount_fen: 3_000 })).toMatchObject({
      kind: 'refused',
      channel_code: 'ACQ.REASON_TRADE_REFUND_FEE_ERR',
    });
    expect(await alipayAdapter.refund!(ctx, account(), refund(`rf_${p.id}_2`, 7_000))).toMatchObject({
      kind: 'refused',
      channel_code: 'ACQ.REFUND_AMT_NOT_EQUAL_TOTAL',
    });
    expect(await alipayAdapter.refund!(ctx, account(), refund(`rf_${p.id}_3`, 6_999))).toMatchObject({
      status: 'SUCCESS',
      amount_fen: 6_999,
    });
    expect(await alipayAdapter.queryPayment(ctx, account(), p.id)).toMatchObject({ status: 'CLOSED' });
    expect(await alipayAdapter.queryRefund!(ctx, account(), refund(`rf_${p.id}_9`, 1))).toEqual({
      kind: 'observed',
      status: 'NOT_FOUND',
      channel_status: 'ABSENT',
      channel_refund_no: trade_no,
    });
    expect(
      await alipayAdapter.queryRefund!(ctx, account(), { ...first, payment_id: 'pay_nowhere' }),
    ).toMatchObject({ status: 'NOT_FOUND', channel_status: 'ACQ.TRADE_NOT_EXIST' });
    refunded.push(p.id);
  });

  it("bill: the day's payments and refunds, parsed from the downloaded file", async () => {
    await expect(consume(alipayAdapter.downloadBill!(ctx, account(), day()))).rejects.toThrow(
      'isp.bill_not_exist',
    );
    clock.advance(24 * 3600_000);
    const rows = await consume(alipayAdapter.downloadBill!(ctx, account(), bill_day));
    const refund_rows = rows.filter((r) => r.kind === 'refund' && r.out_trade_no === refunded[0]);
    expect(refund_rows.map((r) => r.amount_fen).sort()).toEqual([3_001, 6_999]);
    expect(refund_rows[0]).toMatchObject({
      out_refund_no: expect.stringMatching(/^rf_/),
      channel_status: '退款',
    });
    const paid = rows.find((r) => r.kind === 'payment' && r.out_trade_no === refunded[0]);
    expect(paid).toMatchObject({ amount_fen: 10_000, fee_fen: 60, channel_status: '交易' });
    // Only this merchant's trades: the other merchants' are in their own bills.
    for (const row of rows) expect(sim.order(row.out_trade_no)?.auth_app_id).toBe(merchant_app);
  });
});

async function consume(rows: AsyncIterable<BillRow>): Promise<BillRow[]> {
  const out: BillRow[] = [];
  for await (const row of rows) out.push(row);
  return out;
}

describe('replies we must not trust, requests Alipay refuses', () => {
  it('a request signed with another key is refused with isv.invalid-signature (a signed refusal)', async () => {
    const wrong = accountFor('ca_wrong', {
      ...accounts.get('direct key')!.config,
      app_private_key_pem: isv_keys.private_key_pem,
    });
    expect(await alipayAdapter.createPayment(ctx, wrong, payment())).toEqual({
      kind: 'refused',
      channel_code: 'isv.invalid-signature',
      message: expect.stringContaining('40002'),
    });
  });

  it('a reply that does not verify with our Alipay key is no answer at all', async () => {
    const other = accountFor('ca_other', {
      ...accounts.get('direct key')!.config,
      alipay_public_key_pem: isv_keys.public_key_pem,
    });
    expect(await alipayAdapter.queryPayment(ctx, other, 'pay_x')).toEqual({
      kind: 'unknown',
      reason: 'alipay.trade.query: reply signature does not verify',
    });
  });

  it('an unknown ISV token is refused (20001)', async () => {
    const bad = accountFor('ca_tok', { ...accounts.get('ISV key')!.config, app_auth_token: 'tok_nobody' });
    expect(await alipayAdapter.queryPayment(ctx, bad, 'pay_x')).toMatchObject({
      kind: 'unknown',
      reason: expect.stringContaining('aop.invalid-app-auth-token'),
    });
    expect(await alipayAdapter.closePayment(ctx, bad, 'pay_x')).toMatchObject({
      kind: 'refused',
      channel_code: 'aop.invalid-app-auth-token',
    });
  });

  it('amounts outside Alipay range and unknown pay ways are refused before any call', async () => {
    const account = accounts.get('direct key')!;
    expect(
      await alipayAdapter.createPayment(ctx, account, payment({ amount_fen: 10_000_000_001 })),
    ).toMatchObject({ kind: 'refused', channel_code: 'AMOUNT_OUT_OF_RANGE' });
    expect(await alipayAdapter.createPayment(ctx, account, payment({ pay_way: 'WX_NATIVE' }))).toMatchObject({
      kind: 'refused',
      channel_code: 'PAY_WAY_UNSUPPORTED',
    });
  });

  it('the largest amount goes through exactly', async () => {
    const p = payment({ amount_fen: 10_000_000_000 });
    await alipayAdapter.createPayment(ctx, accounts.get('direct key')!, p);
    expect(sim.order(p.id)!.total_amount).toBe('100000000.00');
  });
});
