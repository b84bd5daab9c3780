import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../domain/clock.ts';
import { SeededRandom } from '../../domain/random.ts';
import { closeHttpAgents } from '../http-client.ts';
import type { ChannelAccount, ChannelContext, PaymentForChannel } from '../types.ts';
import { wechatAdapter } from './adapter.ts';
import { v2Sign } from './crypto.ts';
import { createWechatSimulator, type WechatSimulator } from './simulator/server.ts';
import {
  accountFor,
  fixedPlatformKeyFile,
  type PlatformInfo,
  partnerAccountFor,
  rsaPair,
  simMerchantOf,
  testMerchant,
} from './testing.ts';
import { buildV2Xml, parseV2Xml } from './xml.ts';

/**
 * Payment codes over APIv2 XML (bar_protocol v2): micropay signed with MD5 or HMAC-SHA256, the
 * USERPAYING → query loop, reverse repeated while recall=Y, and replies that must not be trusted.
 */
const T0_MS = Date.UTC(2025, 4, 20, 2, 0, 0);
const clock = new ManualClock(T0_MS);
const ctx: ChannelContext = { clock, random: new SeededRandom(61), timeout_ms: 2000 };
const keys = rsaPair();
const direct = testMerchant(new SeededRandom(62), keys, '1900000610');
const sp = testMerchant(new SeededRandom(63), keys, '1900000620');
const V2_KEY = '192006250b4c09247ec02edce69f6a2d';
const SUB = { sub_mchid: '1900000621', sub_appid: 'wxsub00000000000621' };

let sim: WechatSimulator;
let info: PlatformInfo;

beforeAll(async () => {
  sim = createWechatSimulator({
    clock,
    random: new SeededRandom(64),
    platformKeyFile: fixedPlatformKeyFile(),
  });
  const url = await sim.app.listen({ host: '127.0.0.1', port: 0 });
  sim.registerMerchant({ ...simMerchantOf(direct), api_v2_key: V2_KEY });
  sim.registerMerchant({ ...simMerchantOf(sp), api_v2_key: V2_KEY, sub_merchants: [SUB] });
  info = { url, public_key_id: sim.platformPublicKeyId, public_key_pem: sim.platformPublicKeyPem };
});
afterAll(async () => {
  await sim.stop();
  await sim.app.close();
  closeHttpAgents();
});

let seq = 0;
function bar(overrides: Partial<PaymentForChannel> = {}): PaymentForChannel {
  seq++;
  return {
    id: `pay_v2_${String(seq).padStart(5, '0')}`,
    pay_way: 'WX_BAR',
    amount_fen: 250,
    subject: '付款码',
    expires_at_ms: T0_MS + 600_000,
    channel_notify_url: 'http://127.0.0.1:9/unused',
    client_ip: '192.0.2.10',
    auth_code: '134567890123456789',
    ...overrides,
  };
}

async function fault(rule: object): Promise<void> {
  const response = await fetch(`${info.url}/sim/faults`, {
    method: 'POST',
    body: JSON.stringify(rule),
    headers: { 'content-type': 'application/json' },
  });
  expect(response.status).toBe(201);
}

const CASES = [
  ['direct', 'MD5'],
  ['direct', 'HMAC-SHA256'],
  ['partner', 'MD5'],
  ['partner', 'HMAC-SHA256'],
] as const;

describe.each(CASES)('%s merchant, %s sign', (mode, sign_type) => {
  const settings = { api_v2_key: V2_KEY, bar_protocol: 'v2', v2_sign_type: sign_type };
  const account = (): ChannelAccount =>
    mode === 'direct' ? accountFor(direct, info, settings) : partnerAccountFor(sp, info, SUB, settings);

  it('micropay pays at once; the XML observation is PAID with WeChat ids', async () => {
    const p = bar();
    const outcome = await wechatAdapter.createPayment(ctx, account(), p);
    const order = sim.order(p.id)!;
    expect(outcome).toEqual({
      kind: 'accepted',
      credential: {},
      channel_trade_no: order.transaction_id,
      observation: {
        status: 'PAID',
        channel_status: 'SUCCESS',
        channel_trade_no: order.transaction_id,
        amount_fen: 250,
        paid_at_ms: Math.floor(clock.now_ms() / 1000) * 1000,
      },
    });
    expect(order).toMatchObject({
      trade_type: 'MICROPAY',
      sub_mchid: mode === 'partner' ? SUB.sub_mchid : null,
    });
    // The same micropay retried (same out_trade_no, same code) is the same payment.
    expect(await wechatAdapter.createPayment(ctx, account(), p)).toMatchObject({
      channel_trade_no: order.transaction_id,
    });
  });

  it('USERPAYING is PAYING, never a failure; query settles it', async () => {
    const p = bar();
    await fault({ kind: 'user_paying', operation: 'create', order: p.id, resolve_after_ms: 5_000 });
    expect(await wechatAdapter.createPayment(ctx, account(), p)).toEqual({
      kind: 'accepted',
      credential: {},
      observation: { status: 'PAYING', channel_status: 'USERPAYING' },
    });
    expect(await wechatAdapter.queryPayment(ctx, account(), p.id)).toMatchObject({ status: 'PAYING' });
    clock.advance(5_000);
    expect(await wechatAdapter.queryPayment(ctx, account(), p.id)).toMatchObject({ status: 'PAID' });
  });

  it('SYSTEMERROR is unknown; a bad payment code is refused', async () => {
    const p = bar();
    await fault({ kind: 'system_error', operation: 'create', order: p.id, times: 1 });
    expect(await wechatAdapter.createPayment(ctx, account(), p)).toEqual({
      kind: 'unknown',
      reason: 'micropay: SYSTEMERROR',
    });
    expect(
      await wechatAdapter.createPayment(ctx, account(), bar({ auth_code: '184567890123456789' })),
    ).toMatchObject({
      kind: 'refused',
      channel_code: 'AUTH_CODE_INVALID',
    });
  });

  it('reverse: retry while recall=Y, then reversed; the order is REVOKED', async () => {
    const p = bar();
    await fault({ kind: 'user_paying', operation: 'create', order: p.id, resolve_after_ms: 60_000 });
    await wechatAdapter.createPayment(ctx, account(), p);
    await fault({ kind: 'system_error', operation: 'reverse', order: p.id, times: 3 });
    const kinds: string[] = [];
    for (let attempt = 0; attempt < 10; attempt++) {
      const outcome = await wechatAdapter.reversePayment!(ctx, account(), p.id);
      kinds.push(outcome.kind);
      if (outcome.kind !== 'retry') break;
    }
    expect(kinds).toEqual(['retry', 'retry', 'retry', 'reversed']);
    expect(await wechatAdapter.queryPayment(ctx, account(), p.id)).toMatchObject({ status: 'REVERSED' });
    // A paid order reversed is refunded in full: REVOKED too.
    const paid = bar();
    await wechatAdapter.createPayment(ctx, account(), paid);
    expect(await wechatAdapter.reversePayment!(ctx, account(), paid.id)).toEqual({
      kind: 'reversed',
      channel_status: 'REVOKED',
    });
    expect(await wechatAdapter.reversePayment!(ctx, account(), 'pay_v2_never')).toMatchObject({
      kind: 'refused',
      channel_code: 'ORDERNOTEXIST',
    });
  });
});

describe('the simulator reads v2 XML strictly', () => {
  async function post(path: string, xml: string): Promise<Record<string, string>> {
    const response = await fetch(`${info.url}${path}`, {
      method: 'POST',
      body: xml,
      headers: { 'content-type': 'text/xml' },
    });
    return parseV2Xml(await response.text());
  }

  it('answers return_code FAIL to DOCTYPE, to a bad sign and to an unknown merchant', async () => {
    const xxe = `<?xml version="1.0"?><!DOCTYPE xml [<!ENTITY x SYSTEM "file:///etc/passwd">]><xml><mch_id>&x;</mch_id></xml>`;
    expect(await post('/pay/micropay', xxe)).toEqual({ return_code: 'FAIL', return_msg: 'XML格式错误' });
    const fields = { appid: direct.appid, mch_id: direct.mchid, nonce_str: 'n1', out_trade_no: 'pay_v2_x1' };
    const forged = buildV2Xml({
      ...fields,
      sign: v2Sign(fields, 'wrongkey0000000000000000000000000', 'MD5'),
    });
    expect(await post('/pay/orderquery', forged)).toEqual({ return_code: 'FAIL', return_msg: '签名错误' });
    const good = buildV2Xml({ ...fields, sign: v2Sign(fields, V2_KEY, 'MD5') });
    expect(await post('/pay/orderquery', good)).toMatchObject({
      return_code: 'SUCCESS',
      err_code: 'ORDERNOTEXIST',
    });
    const stranger = { ...fields, mch_id: '1999999999' };
    expect(
      await post('/pay/orderquery', buildV2Xml({ ...stranger, sign: v2Sign(stranger, V2_KEY, 'MD5') })),
    ).toMatchObject({
      return_code: 'FAIL',
    });
  });
});

describe('v2 replies that must not be trusted', () => {
  let server: http.Server;
  let next = '';
  let account: ChannelAccount;

  beforeAll(async () => {
    server = http.createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        res.writeHead(200, { 'content-type': 'text/xml' });
        res.end(next);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    account = accountFor(
      direct,
      { ...info, url },
      { api_v2_key: V2_KEY, bar_protocol: 'v2', v2_sign_type: 'MD5' },
    );
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  const success = (p: PaymentForChannel, extra: Record<string, string> = {}) => {
    const fields: Record<string, string> = {
      return_code: 'SUCCESS',
      appid: direct.appid,
      mch_id: direct.mchid,
      nonce_str: 'abc',
      result_code: 'SUCCESS',
      out_trade_no: p.id,
      total_fee: '250',
      transaction_id: '4200000000000000000000000001',
      time_end: '20250520100000',
      ...extra,
    };
    return { ...fields, sign: v2Sign(fields, V2_KEY, 'MD5') };
  };

  it('accepts a correctly signed success, and nothing else', async () => {
    const p = bar();
    next = buildV2Xml(success(p));
    expect(await wechatAdapter.createPayment(ctx, account, p)).toMatchObject({
      kind: 'accepted',
      observation: { status: 'PAID' },
    });
    const cases: Array<[string, RegExp]> = [
      [
        `<!DOCTYPE xml [<!ENTITY x SYSTEM "file:///etc/passwd">]>${buildV2Xml(success(p))}`,
        /DOCTYPE or ENTITY/,
      ],
      [buildV2Xml({ ...success(p), total_fee: '1' }), /not verified/],
      [buildV2Xml({ ...success(p), sign: undefined }), /not verified/],
      [buildV2Xml({ return_code: 'FAIL', return_msg: 'x' }), /not verified/],
      [buildV2Xml(success(p, { mch_id: '1900000999' })), /another mch_id/],
      [buildV2Xml(success(p, { out_trade_no: 'pay_other_1' })), /another order/],
      [buildV2Xml(success(p, { result_code: 'FAIL', err_code: 'BANKERROR' })), /BANKERROR/],
    ];
    for (const [xml, reason] of cases) {
      next = xml;
      expect(await wechatAdapter.createPayment(ctx, account, p)).toEqual({
        kind: 'unknown',
        reason: expect.stringMatching(reason),
      });
    }
  });
});
