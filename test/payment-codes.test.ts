import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../src/domain/clock.ts';
import { SeededRandom } from '../src/domain/random.ts';
import type { PaymentView } from '../src/services/payment-view.ts';
import { listEventsOfPayment } from '../src/storage/repositories/events.ts';
import { type Harness, startHarness } from './support/harness.ts';

type Reply = PaymentView & { error: { code: string; param?: string } };

/**
 * The payment-code closed loop (pay → poll → success, or reverse) and the inputs of the other
 * WeChat pay ways, end to end against the simulator with a ManualClock.
 */
describe('payment codes and pay-way inputs', () => {
  const clock = new ManualClock(Date.parse('2026-11-27T10:00:00Z'));
  let h: Harness;
  let seq = 0;
  beforeAll(async () => {
    h = await startHarness('sqlite', { clock, random: new SeededRandom(11) });
  });
  afterAll(async () => h.close());

  const create = (body: Record<string, unknown>) =>
    h.client.request<Reply>('POST', '/v1/payments', {
      merchant_order_no: `pc-${++seq}`,
      amount: 1500,
      subject: 'Milk tea',
      ...body,
    });
  const fault = async (rule: Record<string, unknown>) => {
    const res = await fetch(`${h.sim_url}/sim/faults`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(rule),
    });
    expect(res.status).toBe(201);
  };
  async function advance(total_ms: number, step_ms = 5_000) {
    for (let t = 0; t < total_ms; t += step_ms) {
      clock.advance(step_ms);
      await h.sim.deliverDueNotifications();
      await h.gateway.sync.drain();
    }
  }
  const WECHAT_CODE = '134567890123456789';

  it('takes a WeChat payment code paid at once, through WX_BAR and AUTO_BAR', async () => {
    const direct = await create({ pay_way: 'WX_BAR', auth_code: WECHAT_CODE });
    expect(direct.status).toBe(201);
    expect(direct.body.state).toBe('SUCCESS');
    const auto = await create({ pay_way: 'AUTO_BAR', auth_code: '104567890123456789' });
    expect(auto.body).toMatchObject({ state: 'SUCCESS', pay_way: 'WX_BAR', channel: 'wechat' });
    expect((await listEventsOfPayment(h.gateway.gw.store.db, auto.body.id)).map((e) => e.type)).toEqual([
      'payment.succeeded',
    ]);
  });

  it('polls while the payer confirms, and ends SUCCESS', async () => {
    await fault({
      kind: 'user_paying',
      operation: 'create',
      times: 1,
      resolve_after_ms: 12_000,
      resolves_to: 'success',
    });
    const p = await create({ pay_way: 'WX_BAR', auth_code: WECHAT_CODE });
    expect(p.body.state).toBe('PENDING');
    await advance(20_000);
    expect((await h.client.request<PaymentView>('GET', `/v1/payments/${p.body.id}`)).body.state).toBe(
      'SUCCESS',
    );
  });

  it('reverses at the channel when the payer never confirms, and both sides agree', async () => {
    await fault({
      kind: 'user_paying',
      operation: 'create',
      times: 1,
      resolve_after_ms: 600_000,
      resolves_to: 'success',
    });
    const p = await create({ pay_way: 'WX_BAR', auth_code: WECHAT_CODE });
    expect(p.body.state).toBe('PENDING');
    await advance(25_000);
    expect((await h.client.request<PaymentView>('GET', `/v1/payments/${p.body.id}`)).body.state).toBe(
      'PENDING',
    );
    await advance(10_000);
    expect((await h.client.request<PaymentView>('GET', `/v1/payments/${p.body.id}`)).body.state).toBe(
      'REVERSED',
    );
    expect(h.sim.order(p.body.id)?.trade_state).toBe('REVOKED');
    // The payer confirming after the reverse cannot make it paid.
    await advance(600_000, 60_000);
    expect((await h.client.request<PaymentView>('GET', `/v1/payments/${p.body.id}`)).body.state).toBe(
      'REVERSED',
    );
    expect((await listEventsOfPayment(h.gateway.gw.store.db, p.body.id)).map((e) => e.type)).toEqual([
      'payment.reversed',
    ]);
  });

  it('refuses malformed payment codes before any channel call', async () => {
    const cases: Array<[string, string, string]> = [
      ['AUTO_BAR', '12345', 'PAYMENT_CODE_INVALID'],
      ['AUTO_BAR', '1345678901234567890', 'PAYMENT_CODE_INVALID'], // 19 digits starting 13
      ['AUTO_BAR', '16456789012345678', 'PAYMENT_CODE_INVALID'], // prefix 16
      ['AUTO_BAR', '13456789012345678x', 'PAYMENT_CODE_INVALID'],
      ['AUTO_BAR', ' 134567890123456789', 'PAYMENT_CODE_INVALID'],
      ['WX_BAR', '284567890123456789', 'PAYMENT_CODE_INVALID'], // an Alipay code on WX_BAR
      ['WX_BAR', '6212345678901234567', 'PAYMENT_CODE_INVALID'], // a UnionPay code on WX_BAR
    ];
    for (const [pay_way, auth_code, code] of cases) {
      const res = await create({ pay_way, auth_code });
      expect(res.status, auth_code).toBe(400);
      expect(res.body.error, auth_code).toMatchObject({ code, param: 'auth_code' });
    }
    const missing = await create({ pay_way: 'WX_BAR' });
    expect(missing.body.error).toMatchObject({ code: 'REQUEST_INVALID', param: 'auth_code' });
  });

  it('needs the payer identity for in-wallet pay ways and refuses placeholders', async () => {
    for (const openid of [undefined, 'undefined', 'null', ' ']) {
      const res = await create({
        pay_way: 'WX_JSAPI',
        ...(openid === undefined ? {} : { payer: { wechat_openid: openid } }),
      });
      expect(res.status).toBe(400);
      expect(res.body.error.param).toBe('payer.wechat_openid');
    }
    const jsapi = await create({
      pay_way: 'WX_JSAPI',
      payer: { wechat_openid: 'oUpF8uMuAJO_M2pxb1Q9zNjWeS6o' },
    });
    expect(jsapi.status).toBe(201);
    expect(jsapi.body.state).toBe('PENDING');
    const params = jsapi.body.credential?.jsapi_params as Record<string, string>;
    expect(params).toMatchObject({ signType: 'RSA' });
    expect(params.package).toMatch(/^prepay_id=/);
    expect(String(params.paySign).length).toBeGreaterThan(100);
    const h5 = await create({ pay_way: 'WX_H5' });
    expect(h5.body.error).toMatchObject({ code: 'REQUEST_INVALID', param: 'client_ip' });
    const h5_ok = await create({ pay_way: 'WX_H5', client_ip: '203.0.113.9' });
    expect(h5_ok.status).toBe(201);
    expect(String(h5_ok.body.credential?.pay_url)).toMatch(/^https?:\/\//);
    const app = await create({ pay_way: 'WX_APP' });
    expect(app.status).toBe(201);
    expect(app.body.credential?.app_params).toMatchObject({ package: 'Sign=WXPay' });
  });
});
