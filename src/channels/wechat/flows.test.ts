import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../domain/clock.ts';
import { SeededRandom } from '../../domain/random.ts';
import { closeHttpAgents } from '../http-client.ts';
import type {
  BillRow,
  ChannelAccount,
  ChannelContext,
  PaymentForChannel,
  RefundForChannel,
} from '../types.ts';
import { queryByTransactionId, wechatAdapter } from './adapter.ts';
import { verifySha256Rsa } from './crypto.ts';
import { createWechatSimulator, type WechatSimulator } from './simulator/server.ts';
import {
  accountFor,
  type CaptureServer,
  fixedPlatformKeyFile,
  headerRecord,
  type PlatformInfo,
  partnerAccountFor,
  rsaPair,
  simMerchantOf,
  startCaptureServer,
  testMerchant,
} from './testing.ts';

/**
 * Every pay way and operation, adapter ↔ simulator over loopback, for a direct merchant and for a
 * service provider acting for a sub-merchant. One clock for both sides; faults through the
 * simulator's HTTP control API, as an operator or another process would inject them.
 */
const T0_MS = Date.UTC(2025, 4, 20, 2, 0, 0); // 10:00 in Beijing
const BILL_DATE = '2025-05-20';
const clock = new ManualClock(T0_MS);
const ctx: ChannelContext = { clock, random: new SeededRandom(41), timeout_ms: 2000 };
const keys = rsaPair();
const direct = testMerchant(new SeededRandom(42), keys, '1900000109');
const sp = testMerchant(new SeededRandom(43), keys, '1900000200');
const SUB_WITH_APPID = { sub_mchid: '1900000301', sub_appid: 'wxsub0000000000301' };

let sim: WechatSimulator;
let info: PlatformInfo;
let capture: CaptureServer;
const accounts: Record<'direct' | 'partner', ChannelAccount> = {} as Record<
  'direct' | 'partner',
  ChannelAccount
>;

beforeAll(async () => {
  sim = createWechatSimulator({
    clock,
    random: new SeededRandom(44),
    platformKeyFile: fixedPlatformKeyFile(),
  });
  const url = await sim.app.listen({ host: '127.0.0.1', port: 0 });
  sim.registerMerchant(simMerchantOf(direct));
  sim.registerMerchant({
    ...simMerchantOf(sp),
    sub_merchants: [SUB_WITH_APPID, { sub_mchid: '1900000302' }],
  });
  info = { url, public_key_id: sim.platformPublicKeyId, public_key_pem: sim.platformPublicKeyPem };
  accounts.direct = accountFor(direct, info);
  accounts.partner = partnerAccountFor(sp, info, SUB_WITH_APPID);
  capture = await startCaptureServer();
});
afterAll(async () => {
  await sim.stop();
  await sim.app.close();
  await capture.close();
  closeHttpAgents();
});

let seq = 0;
function payment(mode: string, overrides: Partial<PaymentForChannel> = {}): PaymentForChannel {
  seq++;
  return {
    id: `pay_${mode.slice(0, 3)}_${String(seq).padStart(5, '0')}`,
    pay_way: 'WX_NATIVE',
    amount_fen: 1000,
    subject: '流程 test',
    expires_at_ms: T0_MS + 3_600_000,
    channel_notify_url: `${capture.url}/notify/${mode}`,
    client_ip: '203.0.113.7',
    ...overrides,
  };
}

async function control(
  method: 'POST' | 'DELETE',
  path: string,
  body?: unknown,
): Promise<{ status: number; json: unknown }> {
  const response = await fetch(`${info.url}${path}`, {
    method,
    ...(body !== undefined
      ? { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } }
      : {}),
  });
  const text = await response.text();
  return { status: response.status, json: text === '' ? null : JSON.parse(text) };
}

/** Delivers what is due and returns the notifications captured for this mode since `from`. */
async function deliveredSince(from: number, mode: string) {
  capture.respond = () => 204;
  await sim.deliverDueNotifications();
  return capture.requests.slice(from).filter((r) => r.url === `/notify/${mode}`);
}

const MODES = ['direct', 'partner'] as const;

describe.each(MODES)('%s merchant', (mode) => {
  const account = () => accounts[mode];
  const merchant = mode === 'direct' ? direct : sp;
  const client_appid = mode === 'direct' ? direct.appid : SUB_WITH_APPID.sub_appid;

  it('Native: code_url, query, pay, query by transaction_id, close says paid', async () => {
    const p = payment(mode);
    const created = await wechatAdapter.createPayment(ctx, account(), p);
    expect(created).toEqual({
      kind: 'accepted',
      credential: { code_url: expect.stringMatching(/^weixin:\/\//) },
    });
    expect(sim.order(p.id)).toMatchObject({
      mchid: merchant.mchid,
      sub_mchid: mode === 'partner' ? SUB_WITH_APPID.sub_mchid : null,
      trade_type: 'NATIVE',
    });
    expect(await wechatAdapter.queryPayment(ctx, account(), p.id)).toMatchObject({ status: 'NOT_PAID' });
    expect(sim.pay(p.id).ok).toBe(true);
    const paid = await wechatAdapter.queryPayment(ctx, account(), p.id);
    expect(paid).toMatchObject({ kind: 'observed', status: 'PAID', amount_fen: 1000 });
    const transaction_id = sim.order(p.id)!.transaction_id!;
    expect(await queryByTransactionId(ctx, account(), transaction_id)).toMatchObject({
      status: 'PAID',
      channel_trade_no: transaction_id,
    });
    expect(await wechatAdapter.closePayment(ctx, account(), p.id)).toEqual({ kind: 'paid' });
    // Another sub-merchant of the same provider cannot see the order.
    if (mode === 'partner') {
      const other = partnerAccountFor(sp, info, { sub_mchid: '1900000302' });
      expect(await wechatAdapter.queryPayment(ctx, other, p.id)).toMatchObject({ status: 'NOT_FOUND' });
    }
  });

  for (const way of ['WX_JSAPI', 'WX_LITE'] as const) {
    it(`${way}: prepay_id and signed client parameters (paySign verifies with the merchant key)`, async () => {
      const p = payment(mode, { pay_way: way, payer: { wechat_openid: 'oUpF8uMuAJO_M2pxb1Q9zNjWeS6o' } });
      const created = await wechatAdapter.createPayment(ctx, account(), p);
      expect(created.kind).toBe('accepted');
      const params = (created as { credential: { jsapi_params: Record<string, string> } }).credential
        .jsapi_params;
      const order = sim.order(p.id)!;
      expect(params).toEqual({
        appId: client_appid,
        timeStamp: String(Math.floor(clock.now_ms() / 1000)),
        nonceStr: expect.stringMatching(/^[A-Za-z0-9]{32}$/),
        package: `prepay_id=${order.prepay_id}`,
        signType: 'RSA',
        paySign: expect.any(String),
      });
      const message = `${params.appId}\n${params.timeStamp}\n${params.nonceStr}\n${params.package}\n`;
      expect(verifySha256Rsa(message, params.paySign!, keys.public_key_pem)).toBe(true);
      expect(
        verifySha256Rsa(message.replace('prepay_id', 'prepay_iD'), params.paySign!, keys.public_key_pem),
      ).toBe(false);
      // The simulator holds the payer under the right name: openid, or sub_openid with a sub_appid.
      const view = await control('POST', `/sim/orders/${p.id}/pay`);
      expect(view.status).toBe(200);
      expect(await wechatAdapter.queryPayment(ctx, account(), p.id)).toMatchObject({ status: 'PAID' });
    });
  }

  it('JSAPI without an openid is refused before anything is sent', async () => {
    const p = payment(mode, { pay_way: 'WX_JSAPI' });
    expect(await wechatAdapter.createPayment(ctx, account(), p)).toMatchObject({
      kind: 'refused',
      channel_code: 'PAYER_REQUIRED',
    });
    expect(sim.order(p.id)).toBeUndefined();
  });

  it('WX_APP: signed app parameters (sign over appid, timestamp, noncestr, prepayid)', async () => {
    const p = payment(mode, { pay_way: 'WX_APP' });
    const created = await wechatAdapter.createPayment(ctx, account(), p);
    const params = (created as { credential: { app_params: Record<string, string> } }).credential.app_params;
    expect(params).toMatchObject({
      appid: client_appid,
      partnerid: mode === 'direct' ? direct.mchid : SUB_WITH_APPID.sub_mchid,
      prepayid: sim.order(p.id)!.prepay_id,
      package: 'Sign=WXPay',
    });
    const message = `${params.appid}\n${params.timestamp}\n${params.noncestr}\n${params.prepayid}\n`;
    expect(verifySha256Rsa(message, params.sign!, keys.public_key_pem)).toBe(true);
  });

  it('WX_H5: h5_url with the return URL; refused locally without the client IP', async () => {
    const p = payment(mode, { pay_way: 'WX_H5', return_url: 'https://shop.example/done?o=1' });
    const created = await wechatAdapter.createPayment(ctx, account(), p);
    const order = sim.order(p.id)!;
    expect(created).toEqual({
      kind: 'accepted',
      credential: {
        pay_url: `${order.h5_url}&redirect_url=${encodeURIComponent('https://shop.example/done?o=1')}`,
      },
    });
    expect(order.trade_type).toBe('MWEB');
    const { client_ip: _ip, ...without_ip } = payment(mode, { pay_way: 'WX_H5' });
    const refused = await wechatAdapter.createPayment(ctx, account(), without_ip);
    expect(refused).toEqual({
      kind: 'refused',
      channel_code: 'CLIENT_IP_REQUIRED',
      message: 'WX_H5 needs the payer client_ip (scene_info.payer_client_ip)',
    });
    expect(sim.order(without_ip.id)).toBeUndefined();
  });

  it('WX_BAR (v3 codepay): paid at once, the observation in the create outcome', async () => {
    const p = payment(mode, { pay_way: 'WX_BAR', auth_code: '134567890123456789' });
    const created = await wechatAdapter.createPayment(ctx, account(), p);
    expect(created).toMatchObject({
      kind: 'accepted',
      credential: {},
      channel_trade_no: sim.order(p.id)!.transaction_id,
      observation: { status: 'PAID', channel_status: 'SUCCESS', amount_fen: 1000 },
    });
    const bad = await wechatAdapter.createPayment(
      ctx,
      account(),
      payment(mode, { pay_way: 'WX_BAR', auth_code: '28001' }),
    );
    expect(bad).toMatchObject({ kind: 'refused', channel_code: 'AUTH_CODE_INVALID' });
  });

  it('WX_BAR USERPAYING: PAYING, then query after resolve_after_ms says PAID (or FAILED)', async () => {
    for (const [resolves_to, status] of [
      ['success', 'PAID'],
      ['failure', 'FAILED'],
    ] as const) {
      const p = payment(mode, { pay_way: 'WX_BAR', auth_code: '104567890123456789' });
      const rule = {
        kind: 'user_paying',
        operation: 'create',
        order: p.id,
        resolve_after_ms: 20_000,
        resolves_to,
      };
      expect((await control('POST', '/sim/faults', rule)).status).toBe(201);
      expect(await wechatAdapter.createPayment(ctx, account(), p)).toEqual({
        kind: 'accepted',
        credential: {},
        observation: { status: 'PAYING', channel_status: 'USERPAYING', amount_fen: 1000 },
      });
      expect(await wechatAdapter.queryPayment(ctx, account(), p.id)).toMatchObject({ status: 'PAYING' });
      clock.advance(19_999);
      expect(await wechatAdapter.queryPayment(ctx, account(), p.id)).toMatchObject({ status: 'PAYING' });
      clock.advance(1);
      expect(await wechatAdapter.queryPayment(ctx, account(), p.id)).toMatchObject({ status });
    }
  });

  it('reverse: repeated while WeChat asks (SYSTEM_ERROR), then REVOKED', async () => {
    const p = payment(mode, { pay_way: 'WX_BAR', auth_code: '114567890123456789' });
    await control('POST', '/sim/faults', {
      kind: 'user_paying',
      operation: 'create',
      order: p.id,
      resolve_after_ms: 60_000,
    });
    await wechatAdapter.createPayment(ctx, account(), p);
    await control('POST', '/sim/faults', {
      kind: 'system_error',
      operation: 'reverse',
      order: p.id,
      times: 2,
    });
    const outcomes = [];
    for (let attempt = 0; attempt < 5; attempt++) {
      const outcome = await wechatAdapter.reversePayment!(ctx, account(), p.id);
      outcomes.push(outcome.kind);
      if (outcome.kind !== 'retry') break;
    }
    expect(outcomes).toEqual(['retry', 'retry', 'reversed']);
    expect(await wechatAdapter.queryPayment(ctx, account(), p.id)).toMatchObject({
      status: 'REVERSED',
      channel_status: 'REVOKED',
    });
    // Reversing a Native order is refused by WeChat.
    const native = payment(mode);
    await wechatAdapter.createPayment(ctx, account(), native);
    expect(await wechatAdapter.reversePayment!(ctx, account(), native.id)).toMatchObject({
      kind: 'refused',
      channel_code: 'INVALID_REQUEST',
    });
  });

  it('refunds: partial, idempotent repeat, query, REFUND.SUCCESS notification, then the rest, then too much', async () => {
    const p = payment(mode);
    await wechatAdapter.createPayment(ctx, account(), p);
    sim.pay(p.id);
    const from = capture.requests.length;
    const refund = (id: string, amount_fen: number): RefundForChannel => ({
      id,
      payment_id: p.id,
      amount_fen,
      payment_amount_fen: 1000,
      reason: '部分退款',
      channel_notify_url: `${capture.url}/notify/${mode}`,
    });
    const first = refund(`ref_${p.id}_1`, 300);
    const created = await wechatAdapter.refund!(ctx, account(), first);
    expect(created).toMatchObject({ kind: 'observed', status: 'PROCESSING', amount_fen: 300 });
    const again = await wechatAdapter.refund!(ctx, account(), first);
    expect(again).toEqual(created);
    expect(await wechatAdapter.queryRefund!(ctx, account(), first)).toEqual(created);
    clock.advance(5_000);
    const notes = (await deliveredSince(from, mode)).filter((r) => r.body.includes('REFUND.'));
    expect(notes).toHaveLength(1);
    const parsed = await wechatAdapter.parseNotification(ctx, account(), {
      headers: headerRecord(notes[0]!.headers),
      raw_body: notes[0]!.body,
    });
    expect(parsed).toEqual({
      kind: 'refund',
      out_refund_no: first.id,
      out_trade_no: p.id,
      notification_id: expect.any(String),
      status: 'SUCCESS',
      channel_status: 'SUCCESS',
      channel_refund_no: (created as { channel_refund_no: string }).channel_refund_no,
      amount_fen: 300,
      succeeded_at_ms: Math.floor(clock.now_ms() / 1000) * 1000,
    });
    expect(await wechatAdapter.queryRefund!(ctx, account(), first)).toMatchObject({ status: 'SUCCESS' });
    expect(await wechatAdapter.queryPayment(ctx, account(), p.id)).toMatchObject({
      status: 'PAID',
      channel_status: 'REFUND',
    });
    // The rest (a full refund of what remains), then one fen too many.
    expect(await wechatAdapter.refund!(ctx, account(), refund(`ref_${p.id}_2`, 700))).toMatchObject({
      status: 'PROCESSING',
    });
    expect(await wechatAdapter.refund!(ctx, account(), refund(`ref_${p.id}_3`, 1))).toMatchObject({
      kind: 'refused',
      channel_code: 'INVALID_REQUEST',
    });
    // The same out_refund_no with another amount is another request: refused, not a second refund.
    expect(await wechatAdapter.refund!(ctx, account(), refund(first.id, 299))).toMatchObject({
      kind: 'refused',
    });
    expect(await wechatAdapter.queryRefund!(ctx, account(), refund('ref_never', 1))).toEqual({
      kind: 'observed',
      status: 'NOT_FOUND',
      channel_status: 'RESOURCE_NOT_EXISTS',
    });
  });

  it('refund notifications REFUND.ABNORMAL and REFUND.CLOSED map to their statuses', async () => {
    for (const status of ['ABNORMAL', 'CLOSED'] as const) {
      const p = payment(mode);
      await wechatAdapter.createPayment(ctx, account(), p);
      sim.pay(p.id);
      const from = capture.requests.length;
      const r: RefundForChannel = {
        id: `ref_${p.id}`,
        payment_id: p.id,
        amount_fen: 1000,
        payment_amount_fen: 1000,
        channel_notify_url: `${capture.url}/notify/${mode}`,
      };
      await wechatAdapter.refund!(ctx, account(), r);
      expect((await control('POST', `/sim/refunds/${r.id}/settle`, { status })).status).toBe(200);
      const note = (await deliveredSince(from, mode)).find((req) => req.body.includes(`REFUND.${status}`))!;
      expect(
        await wechatAdapter.parseNotification(ctx, account(), {
          headers: headerRecord(note.headers),
          raw_body: note.body,
        }),
      ).toMatchObject({ kind: 'refund', out_refund_no: r.id, status, channel_status: status });
      // Another sub-merchant's account refuses it: sp_mchid / sub_mchid are checked.
      const foreign =
        mode === 'direct'
          ? accountFor(direct, info, { mchid: '1900000999' })
          : partnerAccountFor(sp, info, { sub_mchid: '1900000302' });
      expect(
        await wechatAdapter.parseNotification(ctx, foreign, {
          headers: headerRecord(note.headers),
          raw_body: note.body,
        }),
      ).toMatchObject({ kind: 'rejected', code: 'NOTIFY_MISMATCH' });
    }
  });

  it('payment notifications carry and are checked against this account ids', async () => {
    const p = payment(mode, { amount_fen: 4321 });
    await wechatAdapter.createPayment(ctx, account(), p);
    const from = capture.requests.length;
    sim.pay(p.id);
    const note = (await deliveredSince(from, mode)).find((r) => r.body.includes('TRANSACTION.SUCCESS'))!;
    const request = { headers: headerRecord(note.headers), raw_body: note.body };
    expect(await wechatAdapter.parseNotification(ctx, account(), request)).toMatchObject({
      kind: 'payment',
      out_trade_no: p.id,
      amount_fen: 4321,
      status: 'PAID',
    });
    const other =
      mode === 'direct'
        ? accountFor(direct, info, { appid: 'wx0000000000000001' })
        : partnerAccountFor(sp, info, { sub_mchid: '1900000302' });
    expect(await wechatAdapter.parseNotification(ctx, other, request)).toMatchObject({
      kind: 'rejected',
      code: 'NOTIFY_MISMATCH',
    });
  });

  it('trade bill: downloaded, hash-checked, gunzipped, parsed; a bill_mismatch fault shows', async () => {
    const p = payment(mode, { amount_fen: 777 });
    await wechatAdapter.createPayment(ctx, account(), p);
    sim.pay(p.id);
    await control('POST', '/sim/faults', {
      kind: 'bill_mismatch',
      operation: 'bill',
      order: p.id,
      bill_field: 'amount',
      times: 1,
    });
    const rows: BillRow[] = [];
    for await (const row of wechatAdapter.downloadBill!(ctx, account(), BILL_DATE)) rows.push(row);
    const mine = rows.filter((row) => row.out_trade_no === p.id);
    expect(mine).toEqual([
      {
        kind: 'payment',
        out_trade_no: p.id,
        channel_trade_no: sim.order(p.id)!.transaction_id,
        amount_fen: 778,
        fee_fen: 5,
        channel_status: 'SUCCESS',
        at_ms: Math.floor(clock.now_ms() / 1000) * 1000,
      },
    ]);
    // Only this account's trades: the other mode's orders are not in this bill.
    const other_prefix = mode === 'direct' ? 'pay_par_' : 'pay_dir_';
    expect(rows.some((row) => row.out_trade_no.startsWith(other_prefix))).toBe(false);
    expect(rows.some((row) => row.kind === 'refund')).toBe(true);
    // The fault was used up: the next bill agrees with the order.
    const again: BillRow[] = [];
    for await (const row of wechatAdapter.downloadBill!(ctx, account(), BILL_DATE)) again.push(row);
    expect(again.find((row) => row.out_trade_no === p.id)?.amount_fen).toBe(777);
  });
});
