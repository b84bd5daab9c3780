import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
// wechatpay-axios-plugin is CommonJS; node's ESM loader exposes its `module.exports.X = …` as named exports.
import { Aes, Formatter, Hash, Rsa, Transformer } from 'wechatpay-axios-plugin';
import { ManualClock } from '../../domain/clock.ts';
import { SeededRandom } from '../../domain/random.ts';
import { closeHttpAgents } from '../http-client.ts';
import { createWechatSimulator, type WechatSimulator } from './simulator/server.ts';
import {
  type CaptureServer,
  fixedPlatformKeyFile,
  rsaPair,
  simMerchantOf,
  startCaptureServer,
  testMerchant,
} from './testing.ts';

/**
 * wechatpay-axios-plugin, an independent implementation, against every endpoint the simulator
 * gained for "WeChat Pay complete": its signatures are accepted, it verifies the simulator's, its
 * AES-GCM opens refund notifications and downloaded certificates, its bill reader reads the bill,
 * and its APIv2 Hash/Transformer speak micropay. Our own crypto is not used here.
 */
const T0_MS = Date.UTC(2025, 4, 20, 2, 0, 0);
const clock = new ManualClock(T0_MS);
const keys = rsaPair();
const direct = testMerchant(new SeededRandom(81), keys, '1900000810');
const sp = testMerchant(new SeededRandom(82), keys, '1900000820');
const SUB = { sub_mchid: '1900000821', sub_appid: 'wxsub00000000000821' };
const V2_KEY = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ012345';
const private_key = Rsa.from(keys.private_key_pem, Rsa.KEY_TYPE_PRIVATE);
let sim: WechatSimulator;
let capture: CaptureServer;

beforeAll(async () => {
  sim = createWechatSimulator({
    clock,
    random: new SeededRandom(83),
    platformKeyFile: fixedPlatformKeyFile(),
  });
  sim.registerMerchant({ ...simMerchantOf(direct), api_v2_key: V2_KEY, key_mode: 'migrating' });
  sim.registerMerchant({ ...simMerchantOf(sp), sub_merchants: [SUB] });
  await sim.app.listen({ host: '127.0.0.1', port: 0 });
  capture = await startCaptureServer();
});
afterAll(async () => {
  await sim.stop();
  await sim.app.close();
  await capture.close();
  closeHttpAgents();
});

type Merchant = typeof direct;

function peerSigned(m: Merchant, method: 'GET' | 'POST', uri: string, body = '') {
  const timestamp = Math.floor(clock.now_ms() / 1000);
  const nonce = Formatter.nonce();
  const signature = Rsa.sign(Formatter.request(method, uri, timestamp, nonce, body), private_key);
  return {
    method,
    url: uri,
    headers: {
      authorization: Formatter.authorization(m.mchid, nonce, signature, timestamp, m.merchant_serial_no),
      accept: 'application/json',
      ...(body === '' ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === '' ? {} : { payload: body }),
  };
}

/** The peer's verdict on a signed reply or notification, with the key named by its serial. */
function peerVerifies(
  response: { headers: Record<string, unknown>; body: string },
  public_pem = sim.platformPublicKeyPem,
) {
  const h = response.headers;
  const message = Formatter.response(
    String(h['wechatpay-timestamp']),
    String(h['wechatpay-nonce']),
    response.body,
  );
  return Rsa.verify(message, String(h['wechatpay-signature']), Rsa.from(public_pem, Rsa.KEY_TYPE_PUBLIC));
}

async function call(m: Merchant, method: 'GET' | 'POST', uri: string, body?: object) {
  const response = await sim.app.inject(
    peerSigned(m, method, uri, body === undefined ? '' : JSON.stringify(body)),
  );
  expect(peerVerifies(response as unknown as { headers: Record<string, unknown>; body: string }), uri).toBe(
    true,
  );
  return {
    status: response.statusCode,
    json: response.body === '' ? null : (response.json() as Record<string, unknown>),
  };
}

const notify_url = () => `${capture.url}/peer`;
const ids = { appid: direct.appid, mchid: direct.mchid };
const partner_ids = {
  sp_appid: sp.appid,
  sp_mchid: sp.mchid,
  sub_appid: SUB.sub_appid,
  sub_mchid: SUB.sub_mchid,
};
const common = (out_trade_no: string) => ({
  description: '对端',
  out_trade_no,
  notify_url: notify_url(),
  amount: { total: 500, currency: 'CNY' },
});

describe('wechatpay-axios-plugin against the new APIv3 endpoints', () => {
  it('prepay for JSAPI, App and H5, direct and partner; partner Native, query and close', async () => {
    const cases: Array<[Merchant, string, object, string]> = [
      [direct, '/v3/pay/transactions/jsapi', { ...ids, payer: { openid: 'oPeer1' } }, 'prepay_id'],
      [direct, '/v3/pay/transactions/app', ids, 'prepay_id'],
      [
        direct,
        '/v3/pay/transactions/h5',
        { ...ids, scene_info: { payer_client_ip: '198.51.100.1', h5_info: { type: 'Wap' } } },
        'h5_url',
      ],
      [
        sp,
        '/v3/pay/partner/transactions/jsapi',
        { ...partner_ids, payer: { sub_openid: 'oPeer2' } },
        'prepay_id',
      ],
      [sp, '/v3/pay/partner/transactions/app', partner_ids, 'prepay_id'],
      [
        sp,
        '/v3/pay/partner/transactions/h5',
        { ...partner_ids, scene_info: { payer_client_ip: '198.51.100.1', h5_info: { type: 'iOS' } } },
        'h5_url',
      ],
      [sp, '/v3/pay/partner/transactions/native', partner_ids, 'code_url'],
    ];
    for (const [index, [m, uri, extra, field]] of cases.entries()) {
      const out_trade_no = `pay_peer_p${index}`;
      const r = await call(m, 'POST', uri, { ...extra, ...common(out_trade_no) });
      expect(r.status, uri).toBe(200);
      expect(typeof r.json![field]).toBe('string');
    }
    const query = `/v3/pay/partner/transactions/out-trade-no/pay_peer_p6?sp_mchid=${sp.mchid}&sub_mchid=${SUB.sub_mchid}`;
    expect((await call(sp, 'GET', query)).json).toMatchObject({
      sp_mchid: sp.mchid,
      sub_mchid: SUB.sub_mchid,
      trade_state: 'NOTPAY',
    });
    const close = await call(sp, 'POST', '/v3/pay/partner/transactions/out-trade-no/pay_peer_p6/close', {
      sp_mchid: sp.mchid,
      sub_mchid: SUB.sub_mchid,
    });
    expect(close.status).toBe(204);
  });

  it('codepay (direct and partner) and reverse', async () => {
    const pay = {
      amount: { total: 300, currency: 'CNY' },
      payer: { auth_code: '120061098828009406' },
      description: '码',
    };
    const a = await call(direct, 'POST', '/v3/pay/transactions/codepay', {
      ...ids,
      ...pay,
      out_trade_no: 'pay_peer_c1',
    });
    expect(a.json).toMatchObject({ trade_state: 'SUCCESS', trade_type: 'MICROPAY', amount: { total: 300 } });
    const b = await call(sp, 'POST', '/v3/pay/partner/transactions/codepay', {
      ...partner_ids,
      ...pay,
      out_trade_no: 'pay_peer_c2',
    });
    expect(b.json).toMatchObject({ trade_state: 'SUCCESS', sub_mchid: SUB.sub_mchid });
    const reverse = await call(direct, 'POST', '/v3/pay/transactions/out-trade-no/pay_peer_c1/reverse', ids);
    expect(reverse.status).toBe(204);
    expect(sim.order('pay_peer_c1')!.trade_state).toBe('REVOKED');
  });

  it('refund, refund query, and the REFUND.SUCCESS notification opened with Aes.AesGcm', async () => {
    await call(direct, 'POST', '/v3/pay/transactions/native', { ...ids, ...common('pay_peer_r1') });
    sim.pay('pay_peer_r1');
    const refund = await call(direct, 'POST', '/v3/refund/domestic/refunds', {
      out_trade_no: 'pay_peer_r1',
      out_refund_no: 'ref_peer_r1',
      notify_url: notify_url(),
      amount: { refund: 200, total: 500, currency: 'CNY' },
    });
    expect(refund.json).toMatchObject({
      out_refund_no: 'ref_peer_r1',
      status: 'PROCESSING',
      amount: { refund: 200 },
    });
    capture.respond = () => 204;
    await sim.deliverDueNotifications();
    capture.requests.length = 0;
    clock.advance(5_000);
    await sim.deliverDueNotifications();
    const note = capture.requests.find((r) => r.body.includes('REFUND.SUCCESS'))!;
    expect(peerVerifies({ headers: note.headers as Record<string, unknown>, body: note.body })).toBe(true);
    const { resource } = JSON.parse(note.body) as {
      resource: { ciphertext: string; nonce: string; associated_data: string };
    };
    const plain = JSON.parse(
      Aes.AesGcm.decrypt(resource.ciphertext, direct.apiv3_key, resource.nonce, resource.associated_data),
    );
    expect(plain).toMatchObject({
      mchid: direct.mchid,
      out_trade_no: 'pay_peer_r1',
      out_refund_no: 'ref_peer_r1',
      refund_status: 'SUCCESS',
      amount: { refund: 200, total: 500 },
    });
    expect((await call(direct, 'GET', '/v3/refund/domestic/refunds/ref_peer_r1')).json).toMatchObject({
      status: 'SUCCESS',
    });
  });

  it('/v3/certificates: each certificate opens with Aes.AesGcm and verifies the reply that carries it', async () => {
    const response = await sim.app.inject(peerSigned(direct, 'GET', '/v3/certificates'));
    expect(response.statusCode).toBe(200);
    const { data } = response.json() as {
      data: Array<{
        serial_no: string;
        encrypt_certificate: { ciphertext: string; nonce: string; associated_data: string };
      }>;
    };
    const pems = data.map((d) =>
      Aes.AesGcm.decrypt(
        d.encrypt_certificate.ciphertext,
        direct.apiv3_key,
        d.encrypt_certificate.nonce,
        d.encrypt_certificate.associated_data,
      ),
    );
    expect(pems[0]).toContain('-----BEGIN CERTIFICATE-----');
    expect(response.headers['wechatpay-serial']).toBe(data.at(-1)!.serial_no);
    const reply = { headers: response.headers as Record<string, unknown>, body: response.body };
    expect(peerVerifies(reply, pems.at(-1)!)).toBe(true);
    expect(peerVerifies(reply)).toBe(false);
  });

  it('trade bill: the ticket verifies, the file (signed GET) gunzips to its SHA1 and castCsvBill reads it', async () => {
    const ticket = await call(
      direct,
      'GET',
      '/v3/bill/tradebill?bill_date=2025-05-20&bill_type=ALL&tar_type=GZIP',
    );
    const { hash_value, download_url } = ticket.json as { hash_value: string; download_url: string };
    const url = new URL(download_url);
    const file = await sim.app.inject(peerSigned(direct, 'GET', url.pathname + url.search));
    expect(file.statusCode).toBe(200);
    expect(file.headers['wechatpay-signature']).toBeUndefined();
    const csv = gunzipSync(file.rawPayload);
    expect(Hash.sha1(csv)).toBe(hash_value);
    const { rows, summary } = Formatter.castCsvBill(csv) as {
      rows: Array<Record<string, string>>;
      summary: Record<string, string>;
    };
    expect(rows.map((row) => row['商户订单号'])).toEqual(
      expect.arrayContaining(['pay_peer_r1', 'pay_peer_c1']),
    );
    expect(Number(summary['总交易单数'])).toBe(rows.length);
  });
});

describe('wechatpay-axios-plugin against the APIv2 XML endpoints', () => {
  async function v2(path: string, fields: Record<string, string>, type: 'MD5' | 'HMAC-SHA256') {
    const signed = { ...fields, nonce_str: Formatter.nonce(), sign_type: type };
    const xml = Transformer.toXml({ ...signed, sign: Hash.sign(type, signed, V2_KEY) });
    const response = await sim.app.inject({
      method: 'POST',
      url: path,
      payload: xml,
      headers: { 'content-type': 'text/xml' },
    });
    const reply = Transformer.toObject(response.body) as Record<string, string>;
    const { sign, ...rest } = reply;
    expect(Hash.sign(type, rest, V2_KEY), path).toBe(sign);
    return reply;
  }

  it('micropay, orderquery and reverse, signed MD5 and HMAC-SHA256', async () => {
    for (const [index, type] of (['MD5', 'HMAC-SHA256'] as const).entries()) {
      const out_trade_no = `pay_peer_v2_${index}`;
      const paid = await v2(
        '/pay/micropay',
        {
          appid: direct.appid,
          mch_id: direct.mchid,
          body: '条码',
          out_trade_no,
          total_fee: '88',
          spbill_create_ip: '192.0.2.1',
          auth_code: '130061098828009406',
        },
        type,
      );
      expect(paid).toMatchObject({
        return_code: 'SUCCESS',
        result_code: 'SUCCESS',
        total_fee: '88',
        trade_type: 'MICROPAY',
      });
      const query = await v2(
        '/pay/orderquery',
        { appid: direct.appid, mch_id: direct.mchid, out_trade_no },
        type,
      );
      expect(query).toMatchObject({ trade_state: 'SUCCESS', transaction_id: paid.transaction_id });
      const reverse = await v2(
        '/secapi/pay/reverse',
        { appid: direct.appid, mch_id: direct.mchid, out_trade_no },
        type,
      );
      expect(reverse).toMatchObject({ result_code: 'SUCCESS', recall: 'N' });
    }
  });
});
