import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../../domain/clock.ts';
import { SeededRandom } from '../../../domain/random.ts';
import { buildAuthorization, requestMessage, signSha256RsaSync } from '../crypto.ts';
import { rsaPair, simMerchantOf, type TestMerchant, testMerchant } from '../testing.ts';
import { verifyWechatpaySignature } from '../verify.ts';
import { loadOrCreatePlatformKey, platformKeyFromPrivatePem } from './platform-key.ts';
import { createWechatSimulator, type WechatSimulator } from './server.ts';

const T0_MS = Date.UTC(2025, 4, 20, 2, 0, 0);
const clock = new ManualClock(T0_MS);
const random = new SeededRandom(7);
const merchant_keys = rsaPair();
const other_keys = rsaPair();
const merchant = testMerchant(random, merchant_keys, '1900000109');
let sim: WechatSimulator;

beforeAll(() => {
  sim = createWechatSimulator({ clock, random, logger: false });
  sim.registerMerchant(simMerchantOf(merchant));
});
afterAll(async () => {
  await sim.stop();
  await sim.app.close();
});

interface SignOptions {
  timestamp_s?: number;
  serial?: string;
  mchid?: string;
  private_key_pem?: string;
  scheme?: string;
  /** Sign this URL instead of the one sent. */
  signed_url?: string;
  /** Sign this body instead of the one sent. */
  signed_body?: string;
}

function authorization(
  m: TestMerchant,
  method: string,
  url: string,
  body: string,
  o: SignOptions = {},
): string {
  const timestamp = String(o.timestamp_s ?? Math.floor(clock.now_ms() / 1000));
  const nonce = 'NONCE0123456789abcdefghijklmnopq';
  const message = requestMessage(method, o.signed_url ?? url, timestamp, nonce, o.signed_body ?? body);
  return buildAuthorization(
    {
      mchid: o.mchid ?? m.mchid,
      nonce_str: nonce,
      timestamp,
      serial_no: o.serial ?? m.merchant_serial_no,
      signature: signSha256RsaSync(message, o.private_key_pem ?? m.merchant_private_key_pem),
    },
    o.scheme,
  );
}

async function call(
  method: 'GET' | 'POST',
  url: string,
  body?: unknown,
  o: SignOptions = {},
  m: TestMerchant = merchant,
) {
  const text = body === undefined ? '' : typeof body === 'string' ? body : JSON.stringify(body);
  const response = await sim.app.inject({
    method,
    url,
    headers: {
      authorization: authorization(m, method, url, text, o),
      accept: 'application/json',
      ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
    },
    ...(body !== undefined ? { payload: text } : {}),
  });
  // Every v3 reply, errors included, must verify with the platform key at the simulator's clock.
  const headers = response.headers as Record<string, string>;
  const check = verifyWechatpaySignature(
    headers,
    response.body,
    { id: sim.platformPublicKeyId, public_key_pem: sim.platformPublicKeyPem },
    Math.floor(clock.now_ms() / 1000),
  );
  expect(check).toEqual({ ok: true });
  expect(headers['request-id']).toMatch(/^[0-9A-F]{32}$/);
  return {
    status: response.statusCode,
    json: response.body === '' ? null : (JSON.parse(response.body) as Record<string, unknown>),
    body: response.body,
  };
}

let order_seq = 0;
function prepay(overrides: Record<string, unknown> = {}) {
  order_seq++;
  return {
    appid: merchant.appid,
    mchid: merchant.mchid,
    description: 'Coffee 咖啡',
    out_trade_no: `pay_test_${order_seq}`,
    notify_url: 'http://127.0.0.1:9/notify',
    time_expire: '2025-05-20T10:30:00+08:00',
    amount: { total: 1234, currency: 'CNY' },
    ...overrides,
  };
}

const NATIVE = '/v3/pay/transactions/native';

describe('authentication: 401 SIGN_ERROR, exactly as WeChat checks', () => {
  it('accepts a correctly signed request', async () => {
    const r = await call('POST', NATIVE, prepay());
    expect(r.status).toBe(200);
    expect(r.json!.code_url).toMatch(/^weixin:\/\/wxpay\/bizpayurl\?pr=[A-Za-z0-9]{9}$/);
  });

  const cases: Array<[string, SignOptions, string]> = [
    ['unknown mchid', { mchid: '1999999999' }, 'unknown mchid'],
    [
      'wrong certificate serial',
      { serial: 'ABCDEF0123456789' },
      'serial_no is not the merchant certificate serial',
    ],
    [
      'signature by another key',
      { private_key_pem: other_keys.private_key_pem },
      'signature does not verify',
    ],
    ['body changed after signing', { signed_body: '{"changed":true}' }, 'signature does not verify'],
    ['URL changed after signing', { signed_url: '/v3/pay/transactions/jsapi' }, 'signature does not verify'],
    [
      'timestamp 300 s behind',
      { timestamp_s: T0_MS / 1000 - 300 },
      'timestamp is 300 s or more from the server clock',
    ],
    [
      'timestamp 300 s ahead',
      { timestamp_s: T0_MS / 1000 + 300 },
      'timestamp is 300 s or more from the server clock',
    ],
    ['wrong scheme', { scheme: 'WECHATPAY2-SHA256-RSA4096' }, 'unsupported authorization scheme'],
  ];
  for (const [name, options, issue] of cases) {
    it(`refuses ${name}`, async () => {
      const r = await call('POST', NATIVE, prepay(), options);
      expect(r.status).toBe(401);
      expect(r.json).toEqual({ code: 'SIGN_ERROR', message: '错误的签名，验签失败', detail: { issue } });
    });
  }

  it('accepts 299 s of skew and a lower-case serial', async () => {
    expect((await call('POST', NATIVE, prepay(), { timestamp_s: T0_MS / 1000 - 299 })).status).toBe(200);
    expect(
      (await call('POST', NATIVE, prepay(), { serial: merchant.merchant_serial_no.toLowerCase() })).status,
    ).toBe(200);
  });

  it('refuses a missing or malformed Authorization, still signing the reply', async () => {
    for (const header of [undefined, 'WECHATPAY2-SHA256-RSA2048 mchid=1']) {
      const response = await sim.app.inject({
        method: 'GET',
        url: '/v3/pay/transactions/out-trade-no/x?mchid=1',
        headers: header === undefined ? {} : { authorization: header },
      });
      expect(response.statusCode).toBe(401);
      expect(JSON.parse(response.body).code).toBe('SIGN_ERROR');
      expect(response.headers['wechatpay-signature']).toBeTypeOf('string');
    }
  });
});

describe('Native prepay', () => {
  it('validates fields: PARAM_ERROR names the field', async () => {
    const cases: Array<[unknown, string]> = [
      ['{not json', 'body'],
      [prepay({ description: '' }), 'description'],
      [prepay({ description: 'x'.repeat(128) }), 'description'],
      [prepay({ out_trade_no: 'abc' }), 'out_trade_no'],
      [prepay({ amount: { total: 0 } }), 'amount.total'],
      [prepay({ amount: { total: 1.5 } }), 'amount.total'],
      [prepay({ amount: { total: 1, currency: 'USD' } }), 'amount.currency'],
      [prepay({ notify_url: 'http://example.com/n?x=1' }), 'notify_url'],
      [prepay({ notify_url: 'not a url' }), 'notify_url'],
      [prepay({ time_expire: '2025-05-20 10:30:00' }), 'time_expire'],
      [prepay({ time_expire: '2025-05-20T10:00:00+08:00' }), 'time_expire'],
      [prepay({ scene_info: { payer_client_ip: '999.1.1.1' } }), 'scene_info.payer_client_ip'],
      [prepay({ mchid: '1900000110' }), 'mchid'],
      [prepay({ detail: JSON.parse(`${'['.repeat(40)}${']'.repeat(40)}`) }), 'body'],
    ];
    for (const [body, field] of cases) {
      const r = await call('POST', NATIVE, body);
      expect(r.status, field).toBe(400);
      expect(r.json).toMatchObject({ code: 'PARAM_ERROR', detail: { location: 'body', field } });
    }
  });

  it('refuses an appid not bound to the mchid', async () => {
    const r = await call('POST', NATIVE, prepay({ appid: 'wx0000000000000000' }));
    expect(r.status).toBe(400);
    expect(r.json).toEqual({ code: 'APPID_MCHID_NOT_MATCH', message: 'appid和mch_id不匹配' });
  });

  it('answers a repeated request with the same code_url and a changed one with OUT_TRADE_NO_USED', async () => {
    const body = prepay({ scene_info: { payer_client_ip: '203.0.113.9' } });
    const first = await call('POST', NATIVE, body);
    // Same fields in another key order: the same request.
    const reordered = Object.fromEntries(Object.entries(body).reverse());
    const again = await call('POST', NATIVE, reordered);
    expect(again).toEqual({ ...first, body: again.body });
    expect(again.json!.code_url).toBe(first.json!.code_url);
    const changed = await call('POST', NATIVE, { ...body, amount: { total: 1235, currency: 'CNY' } });
    expect(changed.status).toBe(403);
    expect(changed.json).toEqual({ code: 'OUT_TRADE_NO_USED', message: '商户订单号重复' });
    expect(sim.order(body.out_trade_no)).toMatchObject({ amount_total: 1234, trade_state: 'NOTPAY' });
  });

  it('refuses a repeat of a paid or closed order', async () => {
    const paid = prepay();
    await call('POST', NATIVE, paid);
    expect(sim.pay(paid.out_trade_no).ok).toBe(true);
    expect((await call('POST', NATIVE, paid)).json).toMatchObject({ code: 'ORDERPAID' });
    const closed = prepay();
    await call('POST', NATIVE, closed);
    expect(
      (
        await call('POST', `/v3/pay/transactions/out-trade-no/${closed.out_trade_no}/close`, {
          mchid: merchant.mchid,
        })
      ).status,
    ).toBe(204);
    expect((await call('POST', NATIVE, closed)).json).toMatchObject({ code: 'ORDER_CLOSED' });
  });
});

describe('query and close', () => {
  it('queries by out_trade_no and by transaction_id', async () => {
    const body = prepay({ attach: 'a1' });
    await call('POST', NATIVE, body);
    const unpaid = await call(
      'GET',
      `/v3/pay/transactions/out-trade-no/${body.out_trade_no}?mchid=${merchant.mchid}`,
    );
    expect(unpaid).toMatchObject({
      status: 200,
      json: {
        appid: merchant.appid,
        mchid: merchant.mchid,
        out_trade_no: body.out_trade_no,
        trade_type: 'NATIVE',
        trade_state: 'NOTPAY',
        trade_state_desc: '订单未支付',
        attach: 'a1',
        amount: { total: 1234, currency: 'CNY' },
      },
    });
    expect(unpaid.json!.transaction_id).toBeUndefined();

    clock.advance(61_000);
    const result = sim.pay(body.out_trade_no);
    expect(result.ok).toBe(true);
    const view = sim.order(body.out_trade_no)!;
    expect(view.trade_state).toBe('SUCCESS');
    // The clock stood at T0 (10:00:00 in Beijing) until this test moved it 61 s.
    expect(view.success_time).toBe('2025-05-20T10:01:01+08:00');
    expect(view.transaction_id).toMatch(/^420020250520\d{16}$/);
    const by_id = await call('GET', `/v3/pay/transactions/id/${view.transaction_id}?mchid=${merchant.mchid}`);
    expect(by_id.json).toMatchObject({
      trade_state: 'SUCCESS',
      transaction_id: view.transaction_id,
      success_time: view.success_time,
      bank_type: 'OTHERS',
      amount: { total: 1234, payer_total: 1234, currency: 'CNY', payer_currency: 'CNY' },
    });
    expect((by_id.json!.payer as { openid: string }).openid).toMatch(/^o[A-Za-z0-9]{27}$/);
  });

  it('answers ORDER_NOT_EXIST, and PARAM_ERROR without or with a foreign mchid', async () => {
    const missing = await call(
      'GET',
      `/v3/pay/transactions/out-trade-no/pay_nothing?mchid=${merchant.mchid}`,
    );
    expect(missing).toMatchObject({ status: 404, json: { code: 'ORDER_NOT_EXIST', message: '订单不存在' } });
    expect((await call('GET', '/v3/pay/transactions/out-trade-no/pay_nothing')).json).toMatchObject({
      code: 'PARAM_ERROR',
      detail: { location: 'query', field: 'mchid' },
    });
    expect((await call('GET', '/v3/pay/transactions/out-trade-no/pay_nothing?mchid=1900000110')).status).toBe(
      400,
    );
    expect((await call('GET', `/v3/pay/transactions/id/4200000000?mchid=${merchant.mchid}`)).status).toBe(
      404,
    );
  });

  it("hides another merchant's orders", async () => {
    const other = testMerchant(random, other_keys, '1900000222');
    sim.registerMerchant(simMerchantOf(other));
    const body = prepay();
    await call('POST', NATIVE, body);
    const r = await call(
      'GET',
      `/v3/pay/transactions/out-trade-no/${body.out_trade_no}?mchid=${other.mchid}`,
      undefined,
      {},
      other,
    );
    expect(r.status).toBe(404);
    const close = await call(
      'POST',
      `/v3/pay/transactions/out-trade-no/${body.out_trade_no}/close`,
      { mchid: other.mchid },
      {},
      other,
    );
    expect(close.status).toBe(404);
  });

  it('closes with a signed empty 204, repeatably; a paid order answers ORDERPAID', async () => {
    const body = prepay();
    await call('POST', NATIVE, body);
    const path = `/v3/pay/transactions/out-trade-no/${body.out_trade_no}/close`;
    expect(await call('POST', path, { mchid: merchant.mchid })).toEqual({
      status: 204,
      json: null,
      body: '',
    });
    expect((await call('POST', path, { mchid: merchant.mchid })).status).toBe(204);
    expect(sim.order(body.out_trade_no)!.trade_state).toBe('CLOSED');
    expect(sim.pay(body.out_trade_no)).toMatchObject({ ok: false, code: 'ORDER_CLOSED' });
    expect((await call('POST', path, {})).json).toMatchObject({
      code: 'PARAM_ERROR',
      detail: { field: 'mchid' },
    });

    const paid = prepay();
    await call('POST', NATIVE, paid);
    sim.pay(paid.out_trade_no);
    const r = await call('POST', `/v3/pay/transactions/out-trade-no/${paid.out_trade_no}/close`, {
      mchid: merchant.mchid,
    });
    expect(r).toMatchObject({ status: 403, json: { code: 'ORDERPAID' } });
    expect(sim.order(paid.out_trade_no)!.trade_state).toBe('SUCCESS');
  });

  it('signs its 404 for unknown v3 paths', async () => {
    const r = await call('GET', '/v3/pay/transactions/unknown');
    expect(r.status).toBe(404);
  });
});

describe('control endpoints', () => {
  it('registers merchants and refuses bad ones without echoing secrets', async () => {
    const fresh = testMerchant(random, merchant_keys, '1900000333');
    const ok = await sim.app.inject({ method: 'POST', url: '/sim/merchants', payload: simMerchantOf(fresh) });
    expect(ok.statusCode).toBe(201);
    expect(ok.json()).toEqual({ mchid: fresh.mchid, appid: fresh.appid });
    const bad = await sim.app.inject({
      method: 'POST',
      url: '/sim/merchants',
      payload: { ...simMerchantOf(fresh), apiv3_key: 'tooShortSecret' },
    });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().message).toBe('merchant.apiv3_key must be exactly 32 bytes of printable ASCII');
    expect(bad.body).not.toContain('tooShortSecret');
    const not_json = await sim.app.inject({
      method: 'POST',
      url: '/sim/merchants',
      payload: 'x',
      headers: { 'content-type': 'text/plain' },
    });
    expect(not_json.statusCode).toBe(400);
  });

  it('pays, shows and refuses to pay what cannot be paid', async () => {
    const body = prepay();
    await call('POST', NATIVE, body);
    const paid = await sim.app.inject({
      method: 'POST',
      url: `/sim/orders/${body.out_trade_no}/pay`,
      headers: { 'content-type': 'application/json' },
      payload: '{}',
    });
    expect(paid.statusCode).toBe(200);
    expect(paid.json()).toMatchObject({
      out_trade_no: body.out_trade_no,
      trade_state: 'SUCCESS',
      amount_total: 1234,
    });
    expect(paid.json().notifications).toEqual([
      {
        id: expect.stringMatching(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/),
        event_type: 'TRANSACTION.SUCCESS',
        state: 'pending',
        attempts: 0,
        next_at_ms: clock.now_ms(),
        last_result: null,
      },
    ]);
    // Paying twice changes nothing and queues no second notification.
    const again = await sim.app.inject({ method: 'POST', url: `/sim/orders/${body.out_trade_no}/pay` });
    expect(again.json().transaction_id).toBe(paid.json().transaction_id);
    expect(again.json().notifications).toHaveLength(1);
    const shown = await sim.app.inject({ method: 'GET', url: `/sim/orders/${body.out_trade_no}` });
    expect(shown.json()).toEqual(again.json());

    expect((await sim.app.inject({ method: 'POST', url: '/sim/orders/pay_nothing/pay' })).statusCode).toBe(
      404,
    );
    expect((await sim.app.inject({ method: 'GET', url: '/sim/orders/pay_nothing' })).statusCode).toBe(404);

    const expiring = prepay({ time_expire: '2025-05-20T11:00:00+08:00' });
    await call('POST', NATIVE, expiring);
    const saved = clock.now_ms();
    clock.set(Date.UTC(2025, 4, 20, 3, 0, 0));
    const late = await sim.app.inject({ method: 'POST', url: `/sim/orders/${expiring.out_trade_no}/pay` });
    clock.set(saved);
    expect(late.statusCode).toBe(409);
    expect(late.json().code).toBe('ORDER_EXPIRED');
  });
});

describe('platform key', () => {
  it('has the public-key-mode id shape', () => {
    expect(sim.platformPublicKeyId).toMatch(/^PUB_KEY_ID_\d{28}$/);
    expect(sim.platformPublicKeyPem).toContain('-----BEGIN PUBLIC KEY-----');
  });

  it('writes a new key file with mode 0600 and reloads the same key from it', () => {
    const dir = mkdtempSync(join(tmpdir(), 'wxsim-'));
    const file = join(dir, 'nested', 'platform-key.json');
    const first = loadOrCreatePlatformKey(file);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const stored = JSON.parse(readFileSync(file, 'utf8')) as {
      public_key_id: string;
      private_key_pem: string;
    };
    expect(stored.public_key_id).toBe(first.public_key_id);
    const second = loadOrCreatePlatformKey(file);
    expect(second).toEqual(first);
    const restarted = createWechatSimulator({ clock, random, platformKeyFile: file });
    expect(restarted.platformPublicKeyId).toBe(first.public_key_id);
    expect(restarted.platformPublicKeyPem).toBe(first.public_key_pem);
  });

  it('takes a plain PEM key file too, and refuses a broken one', () => {
    const dir = mkdtempSync(join(tmpdir(), 'wxsim-'));
    const pem_file = join(dir, 'key.pem');
    writeFileSync(pem_file, other_keys.private_key_pem);
    expect(loadOrCreatePlatformKey(pem_file)).toEqual(platformKeyFromPrivatePem(other_keys.private_key_pem));
    const broken = join(dir, 'broken.json');
    writeFileSync(broken, '{"private_key_pem": 5}');
    expect(() => loadOrCreatePlatformKey(broken)).toThrow(/no private_key_pem/);
  });
});
