import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../domain/clock.ts';
import { SeededRandom } from '../../domain/random.ts';
import { closeHttpAgents } from '../http-client.ts';
import type { ChannelAccount, ChannelContext, PaymentForChannel } from '../types.ts';
import { unionpayAdapter } from './adapter.ts';
import { orderIdOf } from './order-id.ts';
import { createUnionpaySimulator, type UnionpaySimulator } from './simulator/server.ts';
import {
  accountFor,
  type CaptureServer,
  KEYS,
  paymentId,
  startCaptureServer,
  TEST_MER_ID,
} from './testing.ts';

/**
 * Cloud QuickPass user authorisation through the adapter and the simulator (strict: only codes it
 * issued, each once), and the simulated wallet paying QR and in-app orders.
 */
const clock = new ManualClock(Date.UTC(2025, 4, 20, 2, 0, 0));
const ids = new SeededRandom(41);
const ctx: ChannelContext = { clock, random: new SeededRandom(42), timeout_ms: 2000 };
const auth = unionpayAdapter.payer_authorization!;
let sim: UnionpaySimulator;
let account: ChannelAccount;
let capture: CaptureServer;
let sim_url: string;

beforeAll(async () => {
  sim = createUnionpaySimulator({ clock, random: new SeededRandom(43), strictUserAuth: true });
  sim_url = await sim.app.listen({ host: '127.0.0.1', port: 0 });
  sim.registerMerchant({ mer_id: TEST_MER_ID, cert_pem: KEYS.merchant_cert_pem });
  account = accountFor(
    { url: sim_url, root_cert_pem: sim.rootCertPem, middle_cert_pem: sim.middleCertPem },
    { user_auth_base_url: sim_url },
  );
  capture = await startCaptureServer();
});
afterAll(async () => {
  await sim.stop();
  await sim.app.close();
  await capture.close();
  closeHttpAgents();
});

async function authorize(state = 'st-1', payer = 'alice'): Promise<Record<string, string>> {
  const target = new URL(auth.authorizeUrl(account, 'https://cashier.example/up/cb?p=9#x', state));
  target.searchParams.set('payer', payer);
  const res = await sim.app.inject({ method: 'GET', url: `${target.pathname}${target.search}` });
  expect(res.statusCode).toBe(302);
  const location = String(res.headers.location);
  expect(location.endsWith('#x')).toBe(true);
  return Object.fromEntries(new URL(location).searchParams);
}

function jsapiPayment(code: string): PaymentForChannel {
  return {
    id: paymentId(clock, ids),
    pay_way: 'UP_JSAPI',
    amount_fen: 880,
    subject: 'Tea',
    expires_at_ms: clock.now_ms() + 15 * 60_000,
    channel_notify_url: `${capture.url}/notify`,
    payer: { unionpay_user_auth_code: code },
  };
}

const form = (fields: Record<string, string>) => ({
  method: 'POST' as const,
  headers: { 'content-type': 'application/x-www-form-urlencoded' },
  payload: new URLSearchParams(fields).toString(),
});

describe('UnionPay payer authorisation', () => {
  it('builds the userAuth URL with our state inside redirectUrl', () => {
    const u = auth.authorizeUrl(account, 'https://c.example/cb', 'S 1');
    expect(u).toBe(
      `${sim_url}/qrcGtwWeb-web/api/userAuth?version=1.0.0&redirectUrl=${encodeURIComponent('https://c.example/cb?state=S+1')}`,
    );
    expect(auth.configProblem(account)).toBeNull();
  });

  it('success: userAuthCode with respCode 00 becomes the payer; state comes back', async () => {
    const callback = await authorize();
    expect(callback).toMatchObject({ p: '9', state: 'st-1', respCode: '00' });
    expect(await auth.exchange(ctx, account, callback)).toEqual({
      kind: 'identified',
      payer: { unionpay_user_auth_code: callback.userAuthCode },
    });
  });

  it('denied (respCode not 00): PAYER_AUTH_DENIED; no code: PAYER_AUTH_CODE_MISSING', async () => {
    sim.denyNextAuthorization();
    const callback = await authorize('st-deny');
    expect(callback.userAuthCode).toBeUndefined();
    expect(callback.respCode).not.toBe('00');
    expect(await auth.exchange(ctx, account, callback)).toMatchObject({ code: 'PAYER_AUTH_DENIED' });
    expect(await auth.exchange(ctx, account, { state: 'x' })).toMatchObject({
      code: 'PAYER_AUTH_CODE_MISSING',
    });
    expect(await auth.exchange(ctx, account, { respCode: '00', state: 'x' })).toMatchObject({
      code: 'PAYER_AUTH_CODE_MISSING',
    });
    expect((await sim.app.inject({ method: 'POST', url: '/sim/payer-auth/deny-next' })).statusCode).toBe(201);
    expect((await authorize()).userAuthCode).toBeUndefined();
  });

  it('a code pays one order; reused → USER_AUTH_CODE_REUSED; never issued → USER_AUTH_CODE_INVALID', async () => {
    const callback = await authorize();
    const first = await unionpayAdapter.createPayment(ctx, account, jsapiPayment(callback.userAuthCode!));
    expect(first.kind).toBe('accepted');
    const second = await unionpayAdapter.createPayment(ctx, account, jsapiPayment(callback.userAuthCode!));
    expect(second).toMatchObject({ kind: 'refused', channel_code: 'USER_AUTH_CODE_REUSED' });
    const invented = await unionpayAdapter.createPayment(ctx, account, jsapiPayment('made-up-code'));
    expect(invented).toMatchObject({ kind: 'refused', channel_code: 'USER_AUTH_CODE_INVALID' });
  });

  it('an expired code is refused at the order', async () => {
    const callback = await authorize();
    clock.advance(5 * 60_000 + 1);
    const late = await unionpayAdapter.createPayment(ctx, account, jsapiPayment(callback.userAuthCode!));
    expect(late).toMatchObject({ kind: 'refused', channel_code: 'USER_AUTH_CODE_INVALID' });
  });
});

describe('UnionPay simulator wallet pages', () => {
  it('bridge.js defines upsdk.pay', async () => {
    const res = await sim.app.inject({ method: 'GET', url: '/sim/wallet/bridge.js' });
    expect(res.body).toContain('window.upsdk');
    expect(res.body).toContain("'/sim/wallet/jsapi', { tn: o.tn }");
  });

  it('in-app: the tn page pays, notifies and returns to the page', async () => {
    const p = jsapiPayment((await authorize()).userAuthCode!);
    const created = await unionpayAdapter.createPayment(ctx, account, p);
    if (created.kind !== 'accepted') throw new Error(JSON.stringify(created));
    const tn = created.credential.trade_no!;
    const return_url = 'https://cashier.example/up/p1';
    const page = await sim.app.inject({
      method: 'GET',
      url: `/sim/wallet/jsapi?tn=${tn}&return_url=${encodeURIComponent(return_url)}`,
    });
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('<span id="amount">8.80</span>');
    const paid = await sim.app.inject({ url: '/sim/wallet/jsapi', ...form({ tn, return_url }) });
    expect(paid.statusCode).toBe(303);
    expect(paid.headers.location).toBe(return_url);
    expect((await sim.order(orderIdOf(p.id)!))?.state).toBe('success');
    const before = capture.requests.length;
    await sim.deliverDueNotifications();
    expect(capture.requests.length).toBe(before + 1);
  });

  it('scan: the QR page pays and notifies; unknown codes get an error page', async () => {
    const p = { ...jsapiPayment('unused'), pay_way: 'UP_QR' as const, payer: undefined };
    const created = await unionpayAdapter.createPayment(ctx, account, p);
    if (created.kind !== 'accepted') throw new Error(JSON.stringify(created));
    const code = created.credential.code_url!;
    const page = await sim.app.inject({
      method: 'GET',
      url: `/sim/wallet/scan?code=${encodeURIComponent(code)}`,
    });
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('id="pay"');
    const paid = await sim.app.inject({ url: '/sim/wallet/scan', ...form({ code }) });
    expect(paid.body).toContain('data-status="ok"');
    const before = capture.requests.length;
    await sim.deliverDueNotifications();
    expect(capture.requests.length).toBe(before + 1);
    const unknown = await sim.app.inject({
      method: 'GET',
      url: '/sim/wallet/scan?code=https%3A%2F%2Fqr.95516.com%2Fnope',
    });
    expect(unknown.statusCode).toBe(404);
    expect(unknown.body).toContain('data-status="error"');
  });
});
