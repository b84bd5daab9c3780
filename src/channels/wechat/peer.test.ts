import { afterAll, beforeAll, describe, expect, it } from 'vitest';
// wechatpay-axios-plugin is CommonJS; node's ESM loader exposes its `module.exports.X = …` as named exports.
import { Aes, Formatter, Rsa } from 'wechatpay-axios-plugin';
import { ManualClock } from '../../domain/clock.ts';
import { SeededRandom } from '../../domain/random.ts';
import { closeHttpAgents } from '../http-client.ts';
import { createWechatSimulator, type WechatSimulator } from './simulator/server.ts';
import { type CaptureServer, rsaPair, simMerchantOf, startCaptureServer, testMerchant } from './testing.ts';

/**
 * An independent implementation checks the simulator from the outside: requests signed by
 * wechatpay-axios-plugin are accepted, its verifier accepts the simulator's signatures, and its
 * AES-GCM decrypts the simulator's notification resource. (Our own crypto is not used here.)
 */
const T0_MS = Date.UTC(2025, 4, 20, 2, 0, 0);
const clock = new ManualClock(T0_MS);
const merchant_keys = rsaPair();
const merchant = testMerchant(new SeededRandom(31), merchant_keys);
const private_key = Rsa.from(merchant_keys.private_key_pem, Rsa.KEY_TYPE_PRIVATE);
let sim: WechatSimulator;
let capture: CaptureServer;

beforeAll(async () => {
  sim = createWechatSimulator({ clock, random: new SeededRandom(32), logger: false });
  sim.registerMerchant(simMerchantOf(merchant));
  await sim.app.listen({ host: '127.0.0.1', port: 0 });
  capture = await startCaptureServer();
});
afterAll(async () => {
  await sim.stop();
  await sim.app.close();
  await capture.close();
  closeHttpAgents();
});

/** A request signed the axios-plugin way: Formatter.request → Rsa.sign → Formatter.authorization. */
function peerSigned(method: 'GET' | 'POST', uri: string, body = '') {
  const timestamp = Math.floor(clock.now_ms() / 1000);
  const nonce = Formatter.nonce();
  const signature = Rsa.sign(Formatter.request(method, uri, timestamp, nonce, body), private_key);
  return {
    method,
    url: uri,
    headers: {
      authorization: Formatter.authorization(
        merchant.mchid,
        nonce,
        signature,
        timestamp,
        merchant.merchant_serial_no,
      ),
      accept: 'application/json',
      ...(body === '' ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === '' ? {} : { payload: body }),
  };
}

function peerVerifies(response: { headers: Record<string, unknown>; body: string }): boolean {
  const h = response.headers;
  expect(h['wechatpay-serial']).toBe(sim.platformPublicKeyId);
  const message = Formatter.response(
    String(h['wechatpay-timestamp']),
    String(h['wechatpay-nonce']),
    response.body,
  );
  return Rsa.verify(
    message,
    String(h['wechatpay-signature']),
    Rsa.from(sim.platformPublicKeyPem, Rsa.KEY_TYPE_PUBLIC),
  );
}

describe('wechatpay-axios-plugin as an independent peer', () => {
  const out_trade_no = 'pay_peer_0001';
  // A function: the capture server's URL is known only once beforeAll has run.
  const prepayBody = () =>
    JSON.stringify({
      appid: merchant.appid,
      mchid: merchant.mchid,
      description: '独立对端',
      out_trade_no,
      notify_url: `${capture.url}/notify`,
      amount: { total: 321, currency: 'CNY' },
    });

  it('its signed prepay request is accepted, and it verifies our signed reply', async () => {
    const response = await sim.app.inject(peerSigned('POST', '/v3/pay/transactions/native', prepayBody()));
    expect(response.statusCode).toBe(200);
    expect(response.json().code_url).toMatch(/^weixin:\/\/wxpay\/bizpayurl\?pr=/);
    expect(peerVerifies(response)).toBe(true);
    // And the verifier is not a rubber stamp: one changed byte fails.
    expect(peerVerifies({ ...response, body: response.body.replace('weixin', 'weixim') })).toBe(false);
  });

  it('its signed GET is accepted; a request it signs for another body is refused', async () => {
    const query = await sim.app.inject(
      peerSigned('GET', `/v3/pay/transactions/out-trade-no/${out_trade_no}?mchid=${merchant.mchid}`),
    );
    expect(query.statusCode).toBe(200);
    expect(query.json()).toMatchObject({ out_trade_no, trade_state: 'NOTPAY', amount: { total: 321 } });
    expect(peerVerifies(query)).toBe(true);

    const forged = peerSigned('POST', '/v3/pay/transactions/native', prepayBody());
    const tampered = await sim.app.inject({ ...forged, payload: prepayBody().replace('321', '1') });
    expect(tampered.statusCode).toBe(401);
    expect(tampered.json().code).toBe('SIGN_ERROR');
    expect(peerVerifies(tampered)).toBe(true);
  });

  it('verifies the notification signature and decrypts its resource with Aes.AesGcm', async () => {
    capture.respond = () => 204;
    expect(sim.pay(out_trade_no).ok).toBe(true);
    await sim.deliverDueNotifications();
    const notification = capture.requests[0]!;
    expect(
      peerVerifies({ headers: notification.headers as Record<string, unknown>, body: notification.body }),
    ).toBe(true);
    const { resource } = JSON.parse(notification.body) as {
      resource: { ciphertext: string; nonce: string; associated_data: string };
    };
    const plaintext = Aes.AesGcm.decrypt(
      resource.ciphertext,
      merchant.apiv3_key,
      resource.nonce,
      resource.associated_data,
    );
    const order = sim.order(out_trade_no)!;
    expect(JSON.parse(plaintext)).toEqual({
      appid: merchant.appid,
      mchid: merchant.mchid,
      out_trade_no,
      transaction_id: order.transaction_id,
      trade_type: 'NATIVE',
      trade_state: 'SUCCESS',
      trade_state_desc: '支付成功',
      bank_type: 'OTHERS',
      success_time: '2025-05-20T10:00:00+08:00',
      payer: { openid: expect.stringMatching(/^o[A-Za-z0-9]{27}$/) },
      amount: { total: 321, payer_total: 321, currency: 'CNY', payer_currency: 'CNY' },
    });
    // The peer's decrypt checks the tag too: another AAD fails.
    expect(() =>
      Aes.AesGcm.decrypt(resource.ciphertext, merchant.apiv3_key, resource.nonce, 'certificate'),
    ).toThrow();
  });
});
