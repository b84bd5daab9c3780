import { mkdtempSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../domain/clock.ts';
import { SeededRandom } from '../../domain/random.ts';
import { closeHttpAgents } from '../http-client.ts';
import type { ChannelAccount, ChannelContext, NotificationOutcome, PaymentForChannel } from '../types.ts';
import { wechatAdapter } from './adapter.ts';
import {
  parseAuthorization,
  requestMessage,
  responseMessage,
  signSha256RsaSync,
  verifySha256Rsa,
} from './crypto.ts';
import { platformKeyFromPrivatePem } from './simulator/platform-key.ts';
import { createWechatSimulator, type WechatSimulator } from './simulator/server.ts';
import { PlatformSigner } from './simulator/signer.ts';
import {
  accountFor,
  type CapturedRequest,
  type CaptureServer,
  headerRecord,
  type PlatformInfo,
  rsaPair,
  simMerchantOf,
  startCaptureServer,
  testMerchant,
} from './testing.ts';

/**
 * The adapter against the simulator over real loopback sockets, both on one ManualClock: every
 * request is really signed and checked, every reply really signed and verified.
 */
const T0_MS = Date.UTC(2025, 4, 20, 2, 0, 0); // 10:00:00 in Beijing
const clock = new ManualClock(T0_MS);
const sim_random = new SeededRandom(11);
const ctx: ChannelContext = { clock, random: new SeededRandom(12), timeout_ms: 2000 };
const platform = platformKeyFromPrivatePem(rsaPair().private_key_pem);
const merchant_keys = rsaPair();
const stranger_keys = rsaPair();
const merchant = testMerchant(new SeededRandom(13), merchant_keys);

let sim: WechatSimulator;
let sim_info: PlatformInfo;
let account: ChannelAccount;
let capture: CaptureServer;

beforeAll(async () => {
  // The test holds the platform private key (through the key file) so that it can forge
  // notifications that are correctly signed yet otherwise broken.
  const key_file = join(mkdtempSync(join(tmpdir(), 'wxsim-')), 'platform.pem');
  writeFileSync(key_file, platform.private_key_pem);
  sim = createWechatSimulator({ clock, random: sim_random, platformKeyFile: key_file, logger: false });
  const url = await sim.app.listen({ host: '127.0.0.1', port: 0 });
  sim.registerMerchant(simMerchantOf(merchant));
  sim_info = { url, public_key_id: sim.platformPublicKeyId, public_key_pem: sim.platformPublicKeyPem };
  account = accountFor(merchant, sim_info);
  capture = await startCaptureServer();
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
  return {
    id: `pay_01JVTEST${String(seq).padStart(4, '0')}`,
    pay_way: 'WX_NATIVE',
    amount_fen: 888,
    subject: '测试 coffee',
    expires_at_ms: T0_MS + 30 * 60_000 + 999,
    channel_notify_url: `${capture.url}/v1/channel-notify/wechat/ca_test`,
    client_ip: '203.0.113.5',
    ...overrides,
  };
}

async function controlPay(out_trade_no: string): Promise<number> {
  const response = await fetch(`${sim_info.url}/sim/orders/${out_trade_no}/pay`, { method: 'POST' });
  await response.arrayBuffer();
  return response.status;
}

describe('create, query, pay, close against the simulator', () => {
  it('creates a Native order holding exactly what we sent', async () => {
    const p = payment();
    const outcome = await wechatAdapter.createPayment(ctx, account, p);
    expect(outcome).toEqual({
      kind: 'accepted',
      credential: { code_url: expect.stringMatching(/^weixin:\/\/wxpay\/bizpayurl\?pr=[A-Za-z0-9]{9}$/) },
    });
    expect(sim.order(p.id)).toMatchObject({
      mchid: merchant.mchid,
      appid: merchant.appid,
      trade_state: 'NOTPAY',
      amount_total: 888,
      description: '测试 coffee',
      notify_url: p.channel_notify_url,
      time_expire: '2025-05-20T10:30:00+08:00',
    });
    // A retry of the same create is answered with the same QR content.
    expect(await wechatAdapter.createPayment(ctx, account, p)).toEqual(outcome);
  });

  it('treats OUT_TRADE_NO_USED as unknown: the order exists there', async () => {
    const p = payment();
    await wechatAdapter.createPayment(ctx, account, p);
    const changed = await wechatAdapter.createPayment(ctx, account, { ...p, amount_fen: 889 });
    expect(changed).toMatchObject({ kind: 'unknown', reason: expect.stringContaining('OUT_TRADE_NO_USED') });
  });

  it('queries NOTPAY, then SUCCESS after the payer pays; close then says paid', async () => {
    const p = payment();
    await wechatAdapter.createPayment(ctx, account, p);
    expect(await wechatAdapter.queryPayment(ctx, account, p.id)).toEqual({
      kind: 'observed',
      status: 'NOT_PAID',
      channel_status: 'NOTPAY',
      amount_fen: 888,
    });
    clock.advance(42_500);
    expect(await controlPay(p.id)).toBe(200);
    const transaction_id = sim.order(p.id)!.transaction_id!;
    expect(transaction_id).toMatch(/^4200\d{24}$/);
    expect(await wechatAdapter.queryPayment(ctx, account, p.id)).toEqual({
      kind: 'observed',
      status: 'PAID',
      channel_status: 'SUCCESS',
      channel_trade_no: transaction_id,
      amount_fen: 888,
      paid_at_ms: Math.floor(clock.now_ms() / 1000) * 1000,
    });
    expect(await wechatAdapter.closePayment(ctx, account, p.id)).toEqual({ kind: 'paid' });
  });

  it('observes NOT_FOUND for an order the channel does not have', async () => {
    expect(await wechatAdapter.queryPayment(ctx, account, 'pay_01JVNEVERCREATED')).toEqual({
      kind: 'observed',
      status: 'NOT_FOUND',
      channel_status: 'ORDER_NOT_EXIST',
    });
  });

  it('closes an unpaid order, idempotently; the payer can no longer pay', async () => {
    const p = payment();
    await wechatAdapter.createPayment(ctx, account, p);
    expect(await wechatAdapter.closePayment(ctx, account, p.id)).toEqual({ kind: 'closed' });
    expect(await wechatAdapter.closePayment(ctx, account, p.id)).toEqual({ kind: 'closed' });
    expect(await wechatAdapter.queryPayment(ctx, account, p.id)).toMatchObject({
      status: 'CLOSED',
      channel_status: 'CLOSED',
    });
    expect(await controlPay(p.id)).toBe(409);
  });

  it('refuses with the channel code when WeChat says no', async () => {
    const wrong_appid = accountFor(merchant, sim_info, { appid: 'wx0000000000000000' });
    expect(await wechatAdapter.createPayment(ctx, wrong_appid, payment())).toEqual({
      kind: 'refused',
      channel_code: 'APPID_MCHID_NOT_MATCH',
      message: 'appid和mch_id不匹配',
    });
    const bad_url = payment({ channel_notify_url: 'http://127.0.0.1/notify?x=1' });
    expect(await wechatAdapter.createPayment(ctx, account, bad_url)).toMatchObject({
      kind: 'refused',
      channel_code: 'PARAM_ERROR',
    });
    // Signed with a key the simulator does not know for this merchant: its signed 401 is a refusal.
    const wrong_key = accountFor(
      { ...merchant, merchant_private_key_pem: stranger_keys.private_key_pem },
      sim_info,
    );
    expect(await wechatAdapter.createPayment(ctx, wrong_key, payment())).toMatchObject({
      kind: 'refused',
      channel_code: 'SIGN_ERROR',
    });
    expect(await wechatAdapter.closePayment(ctx, wrong_key, 'pay_x')).toMatchObject({
      kind: 'refused',
      channel_code: 'SIGN_ERROR',
    });
    expect(await wechatAdapter.queryPayment(ctx, wrong_key, 'pay_x')).toMatchObject({
      kind: 'unknown',
      reason: expect.stringContaining('SIGN_ERROR'),
    });
  });

  it("does not serve other channels' pay ways", async () => {
    expect(await wechatAdapter.createPayment(ctx, account, payment({ pay_way: 'ALI_QR' }))).toMatchObject({
      kind: 'refused',
      channel_code: 'PAY_WAY_UNSUPPORTED',
    });
  });

  it('trusts no reply it cannot verify: wrong platform key, wrong key id, skewed clock', async () => {
    const wrong_pem = accountFor(merchant, { ...sim_info, public_key_pem: stranger_keys.public_key_pem });
    const p = payment();
    // The order is created at the simulator, but we cannot know that: unknown, never accepted.
    expect(await wechatAdapter.createPayment(ctx, wrong_pem, p)).toMatchObject({
      kind: 'unknown',
      reason: expect.stringContaining('bad_signature'),
    });
    expect(sim.order(p.id)?.trade_state).toBe('NOTPAY');
    expect(await wechatAdapter.queryPayment(ctx, wrong_pem, p.id)).toMatchObject({ kind: 'unknown' });
    expect(await wechatAdapter.closePayment(ctx, wrong_pem, p.id)).toMatchObject({ kind: 'unknown' });
    expect(sim.order(p.id)?.trade_state).toBe('CLOSED');

    const wrong_id = accountFor(merchant, {
      ...sim_info,
      public_key_id: 'PUB_KEY_ID_0000000000000000000000000001',
    });
    expect(await wechatAdapter.queryPayment(ctx, wrong_id, p.id)).toMatchObject({
      kind: 'unknown',
      reason: expect.stringContaining('unknown_serial'),
    });

    const skewed: ChannelContext = { ...ctx, clock: new ManualClock(clock.now_ms() + 300_000) };
    expect(await wechatAdapter.queryPayment(skewed, account, p.id)).toMatchObject({
      kind: 'unknown',
      reason: expect.stringContaining('timestamp_skew'),
    });
  });

  it('answers unknown when nothing listens', async () => {
    const closed = http.createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const nowhere = accountFor(merchant, { ...sim_info, url: `http://127.0.0.1:${port}` });
    expect(await wechatAdapter.createPayment(ctx, nowhere, payment())).toMatchObject({
      kind: 'unknown',
      reason: expect.stringMatching(/^connection_refused: /),
    });
  });
});

describe('notifications from the simulator', () => {
  let p: PaymentForChannel;
  let captured: CapturedRequest;
  let envelope: { id: string; resource: { ciphertext: string } };

  const parse = (
    request: CapturedRequest,
    acct: ChannelAccount = account,
    c: ChannelContext = ctx,
  ): Promise<NotificationOutcome> =>
    wechatAdapter.parseNotification(c, acct, {
      headers: headerRecord(request.headers),
      raw_body: request.body,
    });

  /** The captured notification with a new body, correctly signed by the platform key now. */
  function resigned(body: string): CapturedRequest {
    const timestamp = String(Math.floor(clock.now_ms() / 1000));
    const nonce = 'forgedNonce0123456789abcdefghijk';
    const signature = signSha256RsaSync(responseMessage(timestamp, nonce, body), platform.private_key_pem);
    return {
      ...captured,
      body,
      headers: {
        ...captured.headers,
        'wechatpay-timestamp': timestamp,
        'wechatpay-nonce': nonce,
        'wechatpay-signature': signature,
      },
    };
  }

  beforeAll(async () => {
    p = payment({ amount_fen: 2599 });
    await wechatAdapter.createPayment(ctx, account, p);
    // Deliver what earlier tests' payments queued, so that only this payment's notification is due.
    capture.respond = () => 204;
    await sim.deliverDueNotifications();
    capture.requests.length = 0;
    clock.advance(1_000);
    expect(sim.pay(p.id).ok).toBe(true);
    expect(await sim.deliverDueNotifications()).toEqual({
      attempted: 1,
      delivered: 1,
      failed: 0,
      given_up: 0,
    });
    captured = capture.requests[0]!;
    envelope = JSON.parse(captured.body);
  });

  it('is POSTed to the notify_url with the WeChat headers and envelope', () => {
    expect(captured.method).toBe('POST');
    expect(captured.url).toBe('/v1/channel-notify/wechat/ca_test');
    expect(captured.headers['content-type']).toBe('application/json');
    expect(captured.headers['wechatpay-serial']).toBe(sim.platformPublicKeyId);
    expect(captured.headers['wechatpay-signature-type']).toBe('WECHATPAY2-SHA256-RSA2048');
    expect(captured.headers['wechatpay-timestamp']).toBe(String(Math.floor(clock.now_ms() / 1000)));
    expect(JSON.parse(captured.body)).toEqual({
      id: envelope.id,
      create_time: '2025-05-20T10:00:43+08:00',
      resource_type: 'encrypt-resource',
      event_type: 'TRANSACTION.SUCCESS',
      summary: '支付成功',
      resource: {
        original_type: 'transaction',
        algorithm: 'AEAD_AES_256_GCM',
        ciphertext: expect.any(String),
        associated_data: 'transaction',
        nonce: expect.stringMatching(/^[A-Za-z0-9]{12}$/),
      },
    });
    expect(sim.order(p.id)!.notifications).toMatchObject([
      { state: 'delivered', attempts: 1, last_result: 'HTTP 204' },
    ]);
  });

  it('parses to the payment, with every field exact', async () => {
    const order = sim.order(p.id)!;
    expect(await parse(captured)).toEqual({
      kind: 'payment',
      out_trade_no: p.id,
      amount_fen: 2599,
      notification_id: envelope.id,
      status: 'PAID',
      channel_status: 'SUCCESS',
      channel_trade_no: order.transaction_id,
      paid_at_ms: Date.parse('2025-05-20T10:00:43+08:00'),
    });
  });

  it('accepts 299 s of skew and a lower-case serial', async () => {
    const later: ChannelContext = { ...ctx, clock: new ManualClock(clock.now_ms() + 299_000) };
    expect((await parse(captured, account, later)).kind).toBe('payment');
    const lower = {
      ...captured,
      headers: { ...captured.headers, 'wechatpay-serial': sim.platformPublicKeyId.toLowerCase() },
    };
    expect((await parse(lower)).kind).toBe('payment');
  });

  const invalid = (detail: RegExp) => ({
    kind: 'rejected',
    code: 'NOTIFY_SIGNATURE_INVALID',
    detail: expect.stringMatching(detail),
  });
  const malformed = (detail: RegExp) => ({
    kind: 'rejected',
    code: 'NOTIFY_MALFORMED',
    detail: expect.stringMatching(detail),
  });

  it('refuses a forged signature, a SIGNTEST probe, another signer and missing headers', async () => {
    const sig = String(captured.headers['wechatpay-signature']);
    const flipped = {
      ...captured,
      headers: { ...captured.headers, 'wechatpay-signature': (sig[0] === 'A' ? 'B' : 'A') + sig.slice(1) },
    };
    expect(await parse(flipped)).toEqual(invalid(/does not verify/));
    const probe = {
      ...captured,
      headers: { ...captured.headers, 'wechatpay-signature': `WECHATPAY/SIGNTEST/${sig}` },
    };
    expect(await parse(probe)).toEqual(invalid(/SIGNTEST/));
    const ts = String(captured.headers['wechatpay-timestamp']);
    const nonce = String(captured.headers['wechatpay-nonce']);
    const by_stranger = signSha256RsaSync(
      responseMessage(ts, nonce, captured.body),
      stranger_keys.private_key_pem,
    );
    expect(
      await parse({ ...captured, headers: { ...captured.headers, 'wechatpay-signature': by_stranger } }),
    ).toEqual(invalid(/does not verify/));
    for (const name of [
      'wechatpay-signature',
      'wechatpay-timestamp',
      'wechatpay-nonce',
      'wechatpay-serial',
    ]) {
      const { [name]: _dropped, ...rest } = captured.headers;
      expect(await parse({ ...captured, headers: rest })).toEqual(invalid(new RegExp(`no ${name} header`)));
    }
  });

  it('refuses a stale or future timestamp (300 s)', async () => {
    for (const delta_ms of [300_000, -300_000]) {
      const c: ChannelContext = { ...ctx, clock: new ManualClock(clock.now_ms() + delta_ms) };
      expect(await parse(captured, account, c)).toEqual(invalid(/300 s or more/));
    }
  });

  it('refuses a wrong serial', async () => {
    const other = {
      ...captured,
      headers: { ...captured.headers, 'wechatpay-serial': 'PUB_KEY_ID_0000000000000000000000000001' },
    };
    expect(await parse(other)).toEqual(invalid(/Wechatpay-Serial/));
  });

  it('refuses a tampered ciphertext: by signature, or (if re-signed) by the GCM tag', async () => {
    const sealed = Buffer.from(envelope.resource.ciphertext, 'base64');
    for (const index of [0, sealed.length - 1]) {
      const tampered = Buffer.from(sealed);
      tampered[index]! ^= 0x01;
      const body = captured.body.replace(envelope.resource.ciphertext, tampered.toString('base64'));
      expect(body).not.toBe(captured.body);
      expect(await parse({ ...captured, body })).toEqual(invalid(/does not verify/));
      expect(await parse(resigned(body))).toEqual(malformed(/authentication_failed/));
    }
  });

  it('refuses a notification for another appid or mchid, and one sealed with another APIv3 key', async () => {
    expect(await parse(captured, accountFor(merchant, sim_info, { appid: 'wx1111111111111111' }))).toEqual({
      kind: 'rejected',
      code: 'NOTIFY_MISMATCH',
      detail: 'appid is not this account',
    });
    expect(await parse(captured, accountFor(merchant, sim_info, { mchid: '1900000999' }))).toEqual({
      kind: 'rejected',
      code: 'NOTIFY_MISMATCH',
      detail: 'mchid is not this account',
    });
    const other_key = accountFor(merchant, sim_info, { apiv3_key: 'Z'.repeat(32) });
    expect(await parse(captured, other_key)).toEqual(malformed(/authentication_failed/));
  });

  it('refuses signed garbage and ignores other events', async () => {
    expect(await parse(resigned('{"id":'))).toEqual(malformed(/envelope/));
    expect(await parse(resigned('{"id":"x","event_type":"TRANSACTION.SUCCESS"}'))).toEqual(
      malformed(/envelope/),
    );
    const payscore = captured.body.replace('TRANSACTION.SUCCESS', 'PAYSCORE.USER_OPEN_SERVICE');
    expect(await parse(resigned(payscore))).toEqual({
      kind: 'ignored',
      event_type: 'PAYSCORE.USER_OPEN_SERVICE',
    });
    // A refund event whose sealed resource is a transaction is not believed.
    const refund = captured.body.replace('TRANSACTION.SUCCESS', 'REFUND.SUCCESS');
    expect(await parse(resigned(refund))).toEqual(malformed(/not a refund/));
    const sm4 = captured.body.replace('AEAD_AES_256_GCM', 'AEAD_SM4_GCM');
    expect(await parse(resigned(sm4))).toEqual(malformed(/algorithm/));
  });

  it('replies as WeChat expects', () => {
    expect(wechatAdapter.notificationReply(true)).toEqual({ status: 204, body: '' });
    expect(wechatAdapter.notificationReply(false)).toEqual({
      status: 400,
      content_type: 'application/json',
      body: '{"code":"FAIL","message":"失败"}',
    });
  });
});

describe('replies from a fake WeChat Pay', () => {
  type Reply = { status: number; body: string; sign?: 'good' | 'none' | 'signtest' } | 'hang';
  let server: http.Server;
  let fake: ChannelAccount;
  let next: Reply = 'hang';
  const requests: CapturedRequest[] = [];
  const signer = new PlatformSigner(platform, clock, new SeededRandom(99));

  beforeAll(async () => {
    server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', async () => {
        requests.push({
          method: req.method!,
          url: req.url!,
          headers: req.headers,
          body: Buffer.concat(chunks).toString('utf8'),
        });
        const reply = next;
        if (reply === 'hang') return;
        const headers: Record<string, string> =
          reply.sign === 'none' ? {} : await signer.headersFor(reply.body);
        if (reply.sign === 'signtest')
          headers['wechatpay-signature'] = `WECHATPAY/SIGNTEST/${headers['wechatpay-signature']}`;
        res.writeHead(reply.status, { ...headers, 'content-type': 'application/json' });
        res.end(reply.body);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    fake = accountFor(merchant, {
      url,
      public_key_id: platform.public_key_id,
      public_key_pem: platform.public_key_pem,
    });
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it('sends a correctly signed prepay request with the documented body', async () => {
    next = { status: 200, body: '{"code_url":"weixin://wxpay/bizpayurl?pr=fake12345"}' };
    const p = payment({ subject: 'x'.repeat(130) });
    expect(await wechatAdapter.createPayment(ctx, fake, p)).toEqual({
      kind: 'accepted',
      credential: { code_url: 'weixin://wxpay/bizpayurl?pr=fake12345' },
    });
    const sent = requests.at(-1)!;
    expect(sent.method).toBe('POST');
    expect(sent.url).toBe('/v3/pay/transactions/native');
    expect(sent.headers['content-type']).toBe('application/json');
    expect(sent.headers.accept).toBe('application/json');
    expect(sent.headers['user-agent']).toMatch(/^paymux/);
    expect(sent.headers['wechatpay-serial']).toBe(platform.public_key_id);
    expect(JSON.parse(sent.body)).toEqual({
      appid: merchant.appid,
      mchid: merchant.mchid,
      description: 'x'.repeat(127),
      out_trade_no: p.id,
      time_expire: '2025-05-20T10:30:00+08:00',
      notify_url: p.channel_notify_url,
      amount: { total: 888, currency: 'CNY' },
      scene_info: { payer_client_ip: '203.0.113.5' },
    });
    const auth = parseAuthorization(String(sent.headers.authorization))!;
    expect(auth.scheme).toBe('WECHATPAY2-SHA256-RSA2048');
    expect(auth.pairs.mchid).toBe(merchant.mchid);
    expect(auth.pairs.serial_no).toBe(merchant.merchant_serial_no);
    expect(auth.pairs.timestamp).toBe(String(Math.floor(clock.now_ms() / 1000)));
    expect(auth.pairs.nonce_str).toMatch(/^[A-Za-z0-9]{32}$/);
    const message = requestMessage(
      'POST',
      '/v3/pay/transactions/native',
      auth.pairs.timestamp,
      auth.pairs.nonce_str,
      sent.body,
    );
    expect(verifySha256Rsa(message, auth.pairs.signature, merchant_keys.public_key_pem)).toBe(true);
  });

  it('signs the query string of a query and sends no body', async () => {
    next = { status: 404, body: '{"code":"ORDER_NOT_EXIST","message":"订单不存在"}' };
    await wechatAdapter.queryPayment(ctx, fake, 'pay_q1');
    const sent = requests.at(-1)!;
    expect(sent.method).toBe('GET');
    expect(sent.url).toBe(`/v3/pay/transactions/out-trade-no/pay_q1?mchid=${merchant.mchid}`);
    expect(sent.body).toBe('');
    const auth = parseAuthorization(String(sent.headers.authorization))!;
    const message = requestMessage('GET', sent.url, auth.pairs.timestamp, auth.pairs.nonce_str, '');
    expect(verifySha256Rsa(message, auth.pairs.signature, merchant_keys.public_key_pem)).toBe(true);
  });

  it('maps create replies: only a verified 200 with code_url is accepted', async () => {
    const cases: Array<[Reply, RegExp]> = [
      [{ status: 200, body: '{"code_url":"weixin://x"}', sign: 'none' }, /not verified \(missing_header\)/],
      [{ status: 200, body: '{"code_url":"weixin://x"}', sign: 'signtest' }, /signtest_probe/],
      [{ status: 200, body: '{"prepay_id":"x"}' }, /no code_url/],
      [{ status: 500, body: '{"code":"SYSTEM_ERROR","message":"系统错误"}' }, /HTTP 500 SYSTEM_ERROR/],
      [
        { status: 429, body: '{"code":"FREQUENCY_LIMITED","message":"频率超限"}' },
        /HTTP 429 FREQUENCY_LIMITED/,
      ],
      [{ status: 403, body: '{"code":"ORDERPAID","message":"该订单已支付"}' }, /ORDERPAID/],
      [{ status: 400, body: '<html>bad gateway</html>' }, /HTTP 400$/],
      [{ status: 400, body: '{"code":"PARAM_ERROR","message":"x"}', sign: 'none' }, /not verified/],
      ['hang', /^timeout: /],
    ];
    for (const [reply, reason] of cases) {
      next = reply;
      const fast: ChannelContext = { ...ctx, timeout_ms: 300 };
      expect(await wechatAdapter.createPayment(fast, fake, payment())).toEqual({
        kind: 'unknown',
        reason: expect.stringMatching(reason),
      });
    }
    next = { status: 400, body: '{"code":"INVALID_REQUEST","message":"无效请求"}' };
    expect(await wechatAdapter.createPayment(ctx, fake, payment())).toEqual({
      kind: 'refused',
      channel_code: 'INVALID_REQUEST',
      message: '无效请求',
    });
  });

  it('maps query replies, and trusts no signed answer about another order', async () => {
    const tx = {
      appid: merchant.appid,
      mchid: merchant.mchid,
      out_trade_no: 'pay_q2',
      trade_state: 'REFUND',
      transaction_id: '42001',
      amount: { total: 5 },
    };
    next = { status: 200, body: JSON.stringify(tx) };
    expect(await wechatAdapter.queryPayment(ctx, fake, 'pay_q2')).toEqual({
      kind: 'observed',
      status: 'PAID',
      channel_status: 'REFUND',
      channel_trade_no: '42001',
      amount_fen: 5,
    });
    next = { status: 200, body: JSON.stringify({ ...tx, trade_state: 'SOMETHING_NEW' }) };
    expect(await wechatAdapter.queryPayment(ctx, fake, 'pay_q2')).toMatchObject({
      status: 'UNKNOWN',
      channel_status: 'SOMETHING_NEW',
    });
    next = { status: 200, body: JSON.stringify({ ...tx, out_trade_no: 'pay_other' }) };
    expect(await wechatAdapter.queryPayment(ctx, fake, 'pay_q2')).toMatchObject({
      kind: 'unknown',
      reason: expect.stringContaining('another order'),
    });
    next = { status: 200, body: JSON.stringify({ ...tx, mchid: '1900000999' }) };
    expect(await wechatAdapter.queryPayment(ctx, fake, 'pay_q2')).toMatchObject({ kind: 'unknown' });
    next = { status: 200, body: JSON.stringify({ ...tx, amount: { total: '5' } }) };
    expect(await wechatAdapter.queryPayment(ctx, fake, 'pay_q2')).toMatchObject({
      kind: 'unknown',
      reason: expect.stringContaining('not a transaction'),
    });
    next = { status: 404, body: '{"code":"RESOURCE_NOT_EXISTS","message":"x"}' };
    expect(await wechatAdapter.queryPayment(ctx, fake, 'pay_q2')).toMatchObject({ kind: 'unknown' });
    next = { status: 404, body: '{"code":"ORDER_NOT_EXIST","message":"订单不存在"}', sign: 'none' };
    expect(await wechatAdapter.queryPayment(ctx, fake, 'pay_q2')).toMatchObject({ kind: 'unknown' });
  });

  it('maps close replies', async () => {
    const cases: Array<[Reply, object]> = [
      [{ status: 204, body: '' }, { kind: 'closed' }],
      [{ status: 204, body: '', sign: 'none' }, { kind: 'unknown' }],
      [{ status: 403, body: '{"code":"ORDER_PAID","message":"订单已支付"}' }, { kind: 'paid' }],
      [{ status: 403, body: '{"code":"ORDERPAID","message":"订单已支付"}' }, { kind: 'paid' }],
      [{ status: 400, body: '{"code":"ORDER_CLOSED","message":"订单已关闭"}' }, { kind: 'closed' }],
      [
        { status: 404, body: '{"code":"ORDER_NOT_EXIST","message":"订单不存在"}' },
        { kind: 'refused', channel_code: 'ORDER_NOT_EXIST' },
      ],
      [{ status: 503, body: '{"code":"SYSTEM_ERROR","message":"x"}' }, { kind: 'unknown' }],
    ];
    for (const [reply, expected] of cases) {
      next = reply;
      expect(await wechatAdapter.closePayment(ctx, fake, 'pay_c1')).toMatchObject(expected);
    }
    const sent = requests.at(-1)!;
    expect(sent.url).toBe('/v3/pay/transactions/out-trade-no/pay_c1/close');
    expect(sent.body).toBe(JSON.stringify({ mchid: merchant.mchid }));
  });
});
