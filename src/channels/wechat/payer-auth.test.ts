import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../domain/clock.ts';
import { SeededRandom } from '../../domain/random.ts';
import { closeHttpAgents } from '../http-client.ts';
import type { ChannelAccount, ChannelContext } from '../types.ts';
import { wechatAdapter } from './adapter.ts';
import { createWechatSimulator, type WechatSimulator } from './simulator/server.ts';
import { simOpenid } from './simulator/wallet-routes.ts';
import { accountFor, rsaPair, simMerchantOf, testMerchant } from './testing.ts';

/** WeChat web-page OAuth (snsapi_base) through the adapter against the simulator, on loopback. */
const clock = new ManualClock(Date.UTC(2025, 4, 20, 2, 0, 0));
const ctx: ChannelContext = { clock, random: new SeededRandom(2), timeout_ms: 1500 };
const merchant = testMerchant(new SeededRandom(3), rsaPair());
const APP_SECRET = 'b5c1e0f7a9d34b2c8e6f0a1d2c3b4a59';
const auth = wechatAdapter.payer_authorization!;

let sim: WechatSimulator;
let url: string;
let account: ChannelAccount;
/** A stand-in for api.weixin.qq.com that answers `fake_body` and records request URLs. */
let fake_body = '';
const fake_urls: string[] = [];
const fake = http.createServer((req, res) => {
  fake_urls.push(req.url ?? '');
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end(fake_body);
});
let fake_url = '';

beforeAll(async () => {
  sim = createWechatSimulator({ clock, random: new SeededRandom(1) });
  url = await sim.app.listen({ host: '127.0.0.1', port: 0 });
  sim.registerMerchant({ ...simMerchantOf(merchant), app_secret: APP_SECRET });
  const info = { url, public_key_id: sim.platformPublicKeyId, public_key_pem: sim.platformPublicKeyPem };
  account = accountFor(merchant, info, {
    oauth_base_url: url,
    sns_api_base_url: url,
    oauth_app_secret: APP_SECRET,
  });
  await new Promise<void>((resolve) => fake.listen(0, '127.0.0.1', resolve));
  fake_url = `http://127.0.0.1:${(fake.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await sim.app.close();
  fake.closeAllConnections();
  await new Promise((resolve) => fake.close(resolve));
  closeHttpAgents();
});

/** Plays the payer's browser: follow the authorize URL once, return the callback's query. */
async function authorize(payer: string, state = 'st-1'): Promise<Record<string, string>> {
  const target = new URL(auth.authorizeUrl(account, 'https://cashier.example/cb/p1?x=1#/pay', state));
  target.searchParams.set('payer', payer);
  const res = await sim.app.inject({ method: 'GET', url: `${target.pathname}${target.search}` });
  expect(res.statusCode).toBe(302);
  const location = String(res.headers.location);
  expect(location.startsWith('https://cashier.example/cb/p1?x=1&')).toBe(true);
  expect(location.endsWith('#/pay')).toBe(true);
  return Object.fromEntries(new URL(location).searchParams);
}

describe('WeChat payer authorisation', () => {
  it('builds the snsapi_base URL WeChat documents', () => {
    const u = auth.authorizeUrl(account, 'https://cashier.example/cb?a=1', 'abc');
    expect(u).toBe(
      `${url}/connect/oauth2/authorize?appid=${merchant.appid}&redirect_uri=${encodeURIComponent('https://cashier.example/cb?a=1')}&response_type=code&scope=snsapi_base&state=abc#wechat_redirect`,
    );
    expect(auth.pay_way).toBe('WX_JSAPI');
  });

  it('says when the AppSecret is missing, and never shows it', () => {
    expect(auth.configProblem(account)).toBeNull();
    const bare = accountFor(merchant, {
      url,
      public_key_id: sim.platformPublicKeyId,
      public_key_pem: sim.platformPublicKeyPem,
    });
    expect(auth.configProblem(bare)).toMatch(/oauth_app_secret is missing/);
  });

  it('success: the code becomes the payer openid, stable per payer and appid', async () => {
    const callback = await authorize('alice');
    expect(callback.state).toBe('st-1');
    const outcome = await auth.exchange(ctx, account, callback);
    expect(outcome).toEqual({
      kind: 'identified',
      payer: { wechat_openid: simOpenid(merchant.appid, 'alice') },
    });
    const again = await auth.exchange(ctx, account, await authorize('alice'));
    expect(again).toEqual(outcome);
    expect(JSON.stringify(outcome)).not.toContain(APP_SECRET);
  });

  it('reused code: PAYER_AUTH_CODE_REUSED (40163)', async () => {
    const callback = await authorize('bob');
    expect((await auth.exchange(ctx, account, callback)).kind).toBe('identified');
    expect(await auth.exchange(ctx, account, callback)).toMatchObject({
      kind: 'failed',
      code: 'PAYER_AUTH_CODE_REUSED',
    });
  });

  it('invalid and expired codes: PAYER_AUTH_CODE_INVALID (40029)', async () => {
    expect(await auth.exchange(ctx, account, { code: 'not-a-code', state: 's' })).toMatchObject({
      kind: 'failed',
      code: 'PAYER_AUTH_CODE_INVALID',
    });
    const callback = await authorize('carol');
    clock.advance(5 * 60_000 + 1);
    expect(await auth.exchange(ctx, account, callback)).toMatchObject({ code: 'PAYER_AUTH_CODE_INVALID' });
  });

  it('denied (WeChat returns with state only): PAYER_AUTH_DENIED; no code at all: PAYER_AUTH_CODE_MISSING', async () => {
    sim.denyNextAuthorization();
    const callback = await authorize('dave', 'st-deny');
    expect(callback).toEqual({ x: '1', state: 'st-deny' });
    expect(await auth.exchange(ctx, account, callback)).toMatchObject({
      kind: 'failed',
      code: 'PAYER_AUTH_DENIED',
    });
    expect(await auth.exchange(ctx, account, {})).toMatchObject({
      kind: 'failed',
      code: 'PAYER_AUTH_CODE_MISSING',
    });
    // The control route does the same.
    const res = await sim.app.inject({ method: 'POST', url: '/sim/payer-auth/deny-next' });
    expect(res.statusCode).toBe(201);
    expect((await authorize('dave', 'st-2')).code).toBeUndefined();
    expect((await authorize('dave', 'st-3')).code).toBeDefined();
  });

  it('a wrong AppSecret or a system error: PAYER_AUTH_UNAVAILABLE', async () => {
    const wrong = { ...account, config: { ...account.config, oauth_app_secret: 'x'.repeat(32) } };
    const outcome = await auth.exchange(ctx, wrong, await authorize('erin'));
    expect(outcome).toMatchObject({ kind: 'failed', code: 'PAYER_AUTH_UNAVAILABLE' });
    sim.addFault({ kind: 'system_error', operation: 'oauth_token', times: 1 });
    expect(await auth.exchange(ctx, account, await authorize('erin'))).toMatchObject({
      code: 'PAYER_AUTH_UNAVAILABLE',
    });
  });

  it('timeout: PAYER_AUTH_UNAVAILABLE within the budget', async () => {
    sim.addFault({ kind: 'timeout', operation: 'oauth_token', times: 1 });
    const started = Date.now();
    const outcome = await auth.exchange({ ...ctx, timeout_ms: 300 }, account, await authorize('frank'));
    expect(outcome).toMatchObject({ kind: 'failed', code: 'PAYER_AUTH_UNAVAILABLE' });
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it('an empty or "undefined" openid: PAYER_IDENTITY_MISSING; non-JSON: PAYER_AUTH_UNAVAILABLE', async () => {
    const via = { ...account, config: { ...account.config, sns_api_base_url: fake_url } };
    for (const openid of ['', 'undefined', 'null']) {
      fake_body = JSON.stringify({
        access_token: 'T',
        expires_in: 7200,
        refresh_token: 'R',
        openid,
        scope: 'snsapi_base',
      });
      expect(await auth.exchange(ctx, via, { code: 'c', state: 's' })).toMatchObject({
        code: 'PAYER_IDENTITY_MISSING',
      });
    }
    fake_body = '<html>gateway error</html>';
    expect(await auth.exchange(ctx, via, { code: 'c', state: 's' })).toMatchObject({
      code: 'PAYER_AUTH_UNAVAILABLE',
    });
    // The secret travels only in the query of the exchange, never elsewhere.
    const last = fake_urls.at(-1)!;
    expect(last).toContain('/sns/oauth2/access_token?');
    expect(last).toContain(`secret=${APP_SECRET}`);
    expect(last).toContain('grant_type=authorization_code');
  });
});
