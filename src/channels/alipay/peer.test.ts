import { AlipaySdk } from 'alipay-sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../domain/clock.ts';
import { SeededRandom } from '../../domain/random.ts';
import { closeHttpAgents } from '../http-client.ts';
import type { ChannelContext } from '../types.ts';
import { alipayAdapter } from './adapter.ts';
import { type AlipaySimulator, createAlipaySimulator } from './simulator/server.ts';
import { accountFor, type NotifyCapture, rsaPair, startNotifyCapture } from './testing.ts';

/**
 * An independent implementation checks both sides from the outside: the official alipay-sdk,
 * pointed at the simulator, calls every method with response-signature checking on and accepts
 * the simulator's notifications; and it accepts the adapter's offline request signatures.
 */
const T0_MS = Date.UTC(2025, 4, 20, 2, 0, 0);
const clock = new ManualClock(T0_MS);
const app_keys = rsaPair();
const APP_ID = '2021000000000401';
let sim: AlipaySimulator;
let sim_url: string;
let capture: NotifyCapture;
let sdk: AlipaySdk;

beforeAll(async () => {
  sim = createAlipaySimulator({ clock, random: new SeededRandom(41) });
  sim_url = await sim.app.listen({ host: '127.0.0.1', port: 0 });
  sim.registerApp({ app_id: APP_ID, app_public_key_pem: app_keys.public_key_pem });
  capture = await startNotifyCapture();
  sdk = new AlipaySdk({
    appId: APP_ID,
    privateKey: app_keys.private_key_pem,
    keyType: 'PKCS8',
    // The SDK rebuilds PEMs line by line; a trailing newline would leave the footer inside.
    alipayPublicKey: sim.alipayPublicKeyPem.trim(),
    gateway: `${sim_url}/gateway.do`,
    signType: 'RSA2',
    camelcase: false,
  });
});
afterAll(async () => {
  await sim.stop();
  await sim.app.close();
  await capture.close();
  closeHttpAgents();
});

const exec = (method: string, bizContent: Record<string, unknown>, extra: Record<string, string> = {}) =>
  sdk.exec(method, { bizContent, ...extra }, { validateSign: true });

describe('alipay-sdk against the simulator, every reply signature checked', () => {
  it('precreate, query, close', async () => {
    const biz = { out_trade_no: 'peer_qr_1', total_amount: '0.01', subject: '对等 peer' };
    expect(await exec('alipay.trade.precreate', biz)).toMatchObject({
      code: '10000',
      out_trade_no: 'peer_qr_1',
      qr_code: expect.stringMatching(/^https:\/\/qr\.alipay\.com\//),
    });
    expect(await exec('alipay.trade.query', { out_trade_no: 'peer_qr_1' })).toMatchObject({
      code: '10000',
      trade_status: 'WAIT_BUYER_PAY',
    });
    expect(await exec('alipay.trade.close', { out_trade_no: 'peer_qr_1' })).toMatchObject({ code: '10000' });
    // Business failures are signed too.
    expect(await exec('alipay.trade.query', { out_trade_no: 'peer_none' })).toMatchObject({
      code: '40004',
      sub_code: 'ACQ.TRADE_NOT_EXIST',
    });
  });

  it('pay, cancel, create, refund, refund query, bill URL', async () => {
    const pay = {
      out_trade_no: 'peer_bar_1',
      scene: 'bar_code',
      auth_code: '281234567890123456',
      subject: 'bar',
      total_amount: '12.30',
    };
    expect(await exec('alipay.trade.pay', pay)).toMatchObject({
      code: '10000',
      total_amount: '12.30',
      trade_no: expect.any(String),
    });
    expect(await exec('alipay.trade.cancel', { out_trade_no: 'peer_bar_1' })).toMatchObject({
      code: '10000',
      action: 'refund',
      retry_flag: 'N',
    });
    const create = {
      out_trade_no: 'peer_js_1',
      total_amount: '5.00',
      subject: 'js',
      buyer_id: '2088102534368455',
    };
    expect(await exec('alipay.trade.create', create)).toMatchObject({
      code: '10000',
      trade_no: expect.any(String),
    });
    await sim.pay('peer_js_1');
    expect(
      await exec('alipay.trade.refund', {
        out_trade_no: 'peer_js_1',
        refund_amount: '1.00',
        out_request_no: 'peer_rf_1',
      }),
    ).toMatchObject({
      code: '10000',
      fund_change: 'Y',
      refund_fee: '1.00',
    });
    expect(
      await exec('alipay.trade.fastpay.refund.query', {
        out_trade_no: 'peer_js_1',
        out_request_no: 'peer_rf_1',
      }),
    ).toMatchObject({
      code: '10000',
      refund_status: 'REFUND_SUCCESS',
      refund_amount: '1.00',
    });
    const bill = await exec('alipay.data.dataservice.bill.downloadurl.query', {
      bill_type: 'trade',
      bill_date: '2025-05-19',
    });
    expect(bill).toMatchObject({
      code: '10000',
      bill_download_url: expect.stringContaining('/downloadBillFile.resource?'),
    });
    const file = await fetch(bill.bill_download_url as string);
    expect(await file.text()).toContain('支付宝交易号,商户订单号,业务类型');
  });

  it('the page-pay URL opens the cashier; the app-pay string is accepted', async () => {
    const url = sdk.pageExecute('alipay.trade.page.pay', 'GET', {
      bizContent: {
        out_trade_no: 'peer_pc_1',
        total_amount: '0.01',
        subject: 'pc',
        product_code: 'FAST_INSTANT_TRADE_PAY',
      },
      returnUrl: 'https://shop.example/return',
    });
    const page = await fetch(url);
    expect(await page.text()).toContain('peer_pc_1');
    const order_string = sdk.sdkExecute('alipay.trade.app.pay', {
      bizContent: {
        out_trade_no: 'peer_app_1',
        total_amount: '0.01',
        subject: 'app',
        product_code: 'QUICK_MSECURITY_PAY',
      },
    });
    const app = await fetch(`${sim_url}/sim/app-orders`, { method: 'POST', body: order_string });
    expect(app.status).toBe(200);
  });

  it("checkNotifySignV2 accepts the simulator's notification, and refuses it changed", async () => {
    await exec(
      'alipay.trade.precreate',
      { out_trade_no: 'peer_qr_2', total_amount: '88.88', subject: '通知 notify' },
      { notifyUrl: `${capture.url}/n` },
    );
    await sim.pay('peer_qr_2');
    await sim.deliverDueNotifications();
    const body = capture.received.find((n) => n.body.includes('out_trade_no=peer_qr_2'))!.body;
    const post = Object.fromEntries(new URLSearchParams(body));
    expect(post.total_amount).toBe('88.88');
    expect(sdk.checkNotifySignV2(post)).toBe(true);
    expect(sdk.checkNotifySignV2({ ...post, total_amount: '88.89' })).toBe(false);
  });
});

describe("alipay-sdk checks the adapter's request signatures", () => {
  it('an ALI_APP order string verifies with the app public key (sign_type kept, as requests are signed)', async () => {
    const ctx: ChannelContext = { clock, random: new SeededRandom(42), timeout_ms: 1000 };
    const account = accountFor('ca_p', {
      app_id: APP_ID,
      app_private_key_pem: app_keys.private_key_pem,
      alipay_public_key_pem: sim.alipayPublicKeyPem,
      gateway_url: `${sim_url}/gateway.do`,
    });
    const outcome = await alipayAdapter.createPayment(ctx, account, {
      id: 'peer_app_2',
      pay_way: 'ALI_APP',
      amount_fen: 29,
      subject: 'a&b=c 中文',
      expires_at_ms: T0_MS + 600_000,
      channel_notify_url: 'https://paymux.example/notify?x=1&y=2',
    });
    const order_string = outcome.kind === 'accepted' ? outcome.credential.app_order_string! : '';
    const checker = new AlipaySdk({
      appId: APP_ID,
      privateKey: app_keys.private_key_pem,
      keyType: 'PKCS8',
      alipayPublicKey: app_keys.public_key_pem.trim(),
    });
    const params = Object.fromEntries(new URLSearchParams(order_string));
    expect(JSON.parse(params.biz_content!)).toMatchObject({ total_amount: '0.29', subject: 'a&b=c 中文' });
    expect(checker.checkNotifySignV2(params)).toBe(true);
    expect(
      checker.checkNotifySignV2({ ...params, biz_content: params.biz_content!.replace('0.29', '0.30') }),
    ).toBe(false);
  });
});
