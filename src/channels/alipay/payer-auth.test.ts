import { mkdtempSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../domain/clock.ts';
import { SeededRandom } from '../../domain/random.ts';
import { closeHttpAgents } from '../http-client.ts';
import type { ChannelAccount, ChannelContext } from '../types.ts';
import { alipayAdapter } from './adapter.ts';
import { signRsa2 } from './crypto.ts';
import { type AlipaySimulator, createAlipaySimulator } from './simulator/server.ts';
import { simOpenId, simUserId } from './simulator/wallet-routes.ts';
import { accountFor, makeTestCerts, rsaPair } from './testing.ts';

/** Alipay user authorisation (auth_base) through the adapter against the simulator, on loopback. */
const clock = new ManualClock(Date.UTC(2025, 4, 20, 2, 0, 0));
const ctx: ChannelContext = { clock, random: new SeededRandom(2), timeout_ms: 1500 };
const alipay_keys = rsaPair();
const app_keys = rsaPair();
const isv_keys = rsaPair();
const certs = makeTestCerts(alipay_keys, app_keys, isv_keys);
const APP = '2021000000000201';
const APP_NEW = '2021000000000202';
const APP_CERT = '2021000000000203';
const ISV = '2021000000000204';
const MERCHANT_APP = '2021000000000205';
const auth = alipayAdapter.payer_authorization!;

let sim: AlipaySimulator;
let sim_url: string;
const accounts: Record<string, ChannelAccount> = {};
let fake_body = '';
const fake = http.createServer((_req, res) => {
  res.writeHead(200, { 'content-type': 'application/json;charset=utf-8' });
  res.end(fake_body);
});
let fake_url = '';

beforeAll(async () => {
  const key_file = join(mkdtempSync(join(tmpdir(), 'alisim-auth-')), 'alipay.pem');
  writeFileSync(key_file, alipay_keys.private_key_pem);
  sim = createAlipaySimulator({ clock, random: new SeededRandom(1), keyFile: key_file, certs });
  sim_url = await sim.app.listen({ host: '127.0.0.1', port: 0 });
  sim.registerApp({ app_id: APP, app_public_key_pem: app_keys.public_key_pem });
  sim.registerApp({ app_id: APP_NEW, app_public_key_pem: app_keys.public_key_pem, identity_mode: 'open_id' });
  sim.registerApp({ app_id: APP_CERT, app_cert_pem: certs.app_cert_pem });
  sim.registerApp({ app_id: MERCHANT_APP, app_public_key_pem: app_keys.public_key_pem });
  sim.registerApp({
    app_id: ISV,
    app_public_key_pem: isv_keys.public_key_pem,
    app_auth_tokens: { tok_isv: MERCHANT_APP },
  });
  const common = { gateway_url: `${sim_url}/gateway.do`, oauth_base_url: sim_url };
  const key_mode = {
    alipay_public_key_pem: sim.alipayPublicKeyPem,
    app_private_key_pem: app_keys.private_key_pem,
  };
  accounts.key = accountFor('ca_k', { app_id: APP, ...key_mode, ...common });
  accounts.open_id = accountFor('ca_o', { app_id: APP_NEW, ...key_mode, ...common });
  accounts.cert = accountFor('ca_c', {
    app_id: APP_CERT,
    app_private_key_pem: app_keys.private_key_pem,
    app_cert_pem: certs.app_cert_pem,
    alipay_public_cert_pem: certs.alipay_public_cert_pem,
    alipay_root_cert_pem: certs.alipay_root_cert_pem,
    ...common,
  });
  accounts.isv = accountFor('ca_i', {
    app_id: ISV,
    app_private_key_pem: isv_keys.private_key_pem,
    alipay_public_key_pem: sim.alipayPublicKeyPem,
    app_auth_token: 'tok_isv',
    ...common,
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

/** Plays the payer's browser through the authorize URL; returns the callback's query. */
async function authorize(
  account: ChannelAccount,
  payer: string,
  state = 'st',
): Promise<Record<string, string>> {
  const target = new URL(auth.authorizeUrl(account, 'https://cashier.example/cb?p=1#top', state));
  target.searchParams.set('payer', payer);
  const res = await sim.app.inject({ method: 'GET', url: `${target.pathname}${target.search}` });
  expect(res.statusCode).toBe(302);
  const location = String(res.headers.location);
  expect(location.endsWith('#top')).toBe(true);
  return Object.fromEntries(new URL(location).searchParams);
}

describe('Alipay payer authorisation', () => {
  it('builds the auth_base URL', () => {
    expect(auth.authorizeUrl(accounts.key!, 'https://c.example/cb', 's1')).toBe(
      `${sim_url}/oauth2/publicAppAuthorize.htm?app_id=${APP}&scope=auth_base&redirect_uri=${encodeURIComponent('https://c.example/cb')}&state=s1`,
    );
    expect(auth.configProblem(accounts.key!)).toBeNull();
  });

  it('success, older app: user_id becomes alipay_buyer_id; the callback has app_id, source, scope, state', async () => {
    const callback = await authorize(accounts.key!, 'alice');
    expect(callback).toMatchObject({
      app_id: APP,
      source: 'alipay_wallet',
      scope: 'auth_base',
      state: 'st',
      p: '1',
    });
    expect(await auth.exchange(ctx, accounts.key!, callback)).toEqual({
      kind: 'identified',
      payer: { alipay_buyer_id: simUserId('alice') },
    });
  });

  it('newer app: open_id instead of user_id', async () => {
    const outcome = await auth.exchange(ctx, accounts.open_id!, await authorize(accounts.open_id!, 'alice'));
    expect(outcome).toEqual({ kind: 'identified', payer: { alipay_open_id: simOpenId(APP_NEW, 'alice') } });
  });

  it('certificate mode and ISV (app_auth_token) accounts exchange too', async () => {
    expect(await auth.exchange(ctx, accounts.cert!, await authorize(accounts.cert!, 'bob'))).toMatchObject({
      kind: 'identified',
    });
    expect(await auth.exchange(ctx, accounts.isv!, await authorize(accounts.isv!, 'bob'))).toMatchObject({
      kind: 'identified',
      payer: { alipay_buyer_id: simUserId('bob') },
    });
  });

  it('reused code: PAYER_AUTH_CODE_REUSED; unknown or expired: PAYER_AUTH_CODE_INVALID', async () => {
    const callback = await authorize(accounts.key!, 'carol');
    expect((await auth.exchange(ctx, accounts.key!, callback)).kind).toBe('identified');
    expect(await auth.exchange(ctx, accounts.key!, callback)).toMatchObject({
      code: 'PAYER_AUTH_CODE_REUSED',
    });
    expect(
      await auth.exchange(ctx, accounts.key!, { auth_code: 'bogus', app_id: APP, state: 's' }),
    ).toMatchObject({
      code: 'PAYER_AUTH_CODE_INVALID',
    });
    const late = await authorize(accounts.key!, 'carol');
    clock.advance(5 * 60_000 + 1);
    expect(await auth.exchange(ctx, accounts.key!, late)).toMatchObject({ code: 'PAYER_AUTH_CODE_INVALID' });
  });

  it('a code of another app is refused before any call', async () => {
    const callback = await authorize(accounts.open_id!, 'dan');
    expect(await auth.exchange(ctx, accounts.key!, callback)).toMatchObject({
      code: 'PAYER_AUTH_CODE_INVALID',
    });
  });

  it('denied: PAYER_AUTH_DENIED; nothing at all: PAYER_AUTH_CODE_MISSING', async () => {
    sim.denyNextAuthorization();
    const callback = await authorize(accounts.key!, 'erin', 'st-deny');
    expect(callback.auth_code).toBeUndefined();
    expect(callback.state).toBe('st-deny');
    expect(await auth.exchange(ctx, accounts.key!, callback)).toMatchObject({ code: 'PAYER_AUTH_DENIED' });
    expect(await auth.exchange(ctx, accounts.key!, {})).toMatchObject({ code: 'PAYER_AUTH_CODE_MISSING' });
    const control = await sim.app.inject({ method: 'POST', url: '/sim/payer-auth/deny-next' });
    expect(control.statusCode).toBe(201);
    expect((await authorize(accounts.key!, 'erin')).auth_code).toBeUndefined();
  });

  it('timeout and busy: PAYER_AUTH_UNAVAILABLE', async () => {
    sim.addFault({ kind: 'timeout', operation: 'oauth_token', times: 1 });
    const outcome = await auth.exchange(
      { ...ctx, timeout_ms: 300 },
      accounts.key!,
      await authorize(accounts.key!, 'f'),
    );
    expect(outcome).toMatchObject({ code: 'PAYER_AUTH_UNAVAILABLE' });
    sim.addFault({ kind: 'system_error', operation: 'oauth_token', times: 1 });
    expect(await auth.exchange(ctx, accounts.key!, await authorize(accounts.key!, 'f'))).toMatchObject({
      code: 'PAYER_AUTH_UNAVAILABLE',
    });
  });

  it('a signed answer without user_id or open_id: PAYER_IDENTITY_MISSING; a forged one: UNAVAILABLE', async () => {
    const via = {
      ...accounts.key!,
      config: { ...accounts.key!.config, gateway_url: `${fake_url}/gateway.do` },
    };
    const text = JSON.stringify({ access_token: 'T', expires_in: 3600, user_id: '' });
    fake_body = `{"alipay_system_oauth_token_response":${text},"sign":${JSON.stringify(await signRsa2(text, alipay_keys.private_key_pem))}}`;
    expect(await auth.exchange(ctx, via, { auth_code: 'c1', state: 's' })).toMatchObject({
      code: 'PAYER_IDENTITY_MISSING',
    });
    const forged = JSON.stringify({ user_id: '2088000000000001' });
    fake_body = `{"alipay_system_oauth_token_response":${forged},"sign":${JSON.stringify(await signRsa2(forged, rsaPair().private_key_pem))}}`;
    expect(await auth.exchange(ctx, via, { auth_code: 'c1', state: 's' })).toMatchObject({
      code: 'PAYER_AUTH_UNAVAILABLE',
    });
  });
});
