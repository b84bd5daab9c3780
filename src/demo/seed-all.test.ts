import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../boot/logger.ts';
import { type GatewayRuntime, openGateway } from '../boot/open-gateway.ts';
import { startAlipaySimulatorInProcess } from '../channels/alipay/simulator/in-process.ts';
import type { AlipaySimulator } from '../channels/alipay/simulator/server.ts';
import { closeHttpAgents } from '../channels/http-client.ts';
import type { InProcessSimulator } from '../channels/simulator-kit/standalone.ts';
import { startUnionpaySimulatorInProcess } from '../channels/unionpay/simulator/in-process.ts';
import type { UnionpaySimulator } from '../channels/unionpay/simulator/server.ts';
import { startWechatSimulatorInProcess } from '../channels/wechat/simulator/in-process.ts';
import type { WechatSimulator } from '../channels/wechat/simulator/server.ts';
import { loadConfig } from '../config/env.ts';
import { PaymuxClient } from '../sdk/client.ts';
import { type SeededMerchant, seedWechatMerchant, simulatorMerchantOf } from './seed.ts';
import { reregisterAlipayAccount, seedAlipayAccount } from './seed-alipay.ts';
import { reregisterUnionpayAccount, seedUnionpayAccount } from './seed-unionpay.ts';

/**
 * The demo seed for all three channels against in-process simulators, on the real clock (the
 * UnionPay certificates are made now, not taken from the expired vectors): one QR payment per
 * channel, paid on the simulated wallet's scan page, ends SUCCESS through the channel's
 * notification.
 */
const dir = mkdtempSync(join(tmpdir(), 'paymux-seed-all-'));
let runtime: GatewayRuntime;
let wechat: InProcessSimulator<WechatSimulator>;
let alipay: InProcessSimulator<AlipaySimulator>;
let unionpay: InProcessSimulator<UnionpaySimulator>;
let seeded: SeededMerchant;
let client: PaymuxClient;
const account_ids: Record<string, string> = {};

beforeAll(async () => {
  const config = loadConfig({
    PAYMUX_DATA_DIR: dir,
    PAYMUX_LOG_LEVEL: 'silent',
    PAYMUX_PORT: '0',
    PAYMUX_CHANNEL_TIMEOUT_MS: '3000',
  });
  runtime = await openGateway({ config, logger: createLogger(config.log_level), start_jobs: false });
  const gateway_url = await runtime.http.listen({ host: '127.0.0.1', port: 0 });
  runtime.gw.settings.public_url = gateway_url;
  [wechat, alipay, unionpay] = await Promise.all([
    startWechatSimulatorInProcess(),
    startAlipaySimulatorInProcess(),
    startUnionpaySimulatorInProcess({ keyDir: join(dir, 'unionpay-ca') }),
  ]);
  seeded = await seedWechatMerchant(runtime.gw, 'Seed Shop', {
    url: wechat.url,
    public_key_id: wechat.sim.platformPublicKeyId,
    public_key_pem: wechat.sim.platformPublicKeyPem,
  });
  wechat.sim.registerMerchant(seeded.wechat);
  account_ids.wechat = seeded.channel_account_id;
  account_ids.alipay = (
    await seedAlipayAccount(runtime.gw, seeded.merchant_id, alipay.sim, alipay.url)
  ).channel_account_id;
  account_ids.unionpay = (
    await seedUnionpayAccount(runtime.gw, seeded.merchant_id, unionpay.sim, unionpay.url)
  ).channel_account_id;
  client = new PaymuxClient({ base_url: gateway_url, app_id: seeded.app_id, secret: seeded.app_secret });
}, 60_000);

afterAll(async () => {
  await Promise.all([wechat?.close(), alipay?.close(), unionpay?.close()]);
  await runtime?.close();
  closeHttpAgents();
  rmSync(dir, { recursive: true, force: true });
});

async function until<T>(read: () => Promise<T>, done: (value: T) => boolean, ms = 15_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await read();
    if (done(value) || Date.now() > deadline) return value;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe('demo seed for WeChat Pay, Alipay and UnionPay', () => {
  it('seeds the wallet settings on every account', async () => {
    const wx = await runtime.gw.accounts.load(account_ids.wechat!);
    expect(wx?.config).toMatchObject({
      oauth_base_url: wechat.url,
      sns_api_base_url: wechat.url,
      wallet_bridge_url: `${wechat.url}/sim/wallet/bridge.js`,
    });
    expect(wx?.config.oauth_app_secret).toMatch(/^[0-9a-f]{32}$/);
    const ali = await runtime.gw.accounts.load(account_ids.alipay!);
    expect(ali?.config).toMatchObject({
      oauth_base_url: alipay.url,
      wallet_bridge_url: `${alipay.url}/sim/wallet/bridge.js`,
    });
    const up = await runtime.gw.accounts.load(account_ids.unionpay!);
    expect(up?.config).toMatchObject({
      user_auth_base_url: unionpay.url,
      wallet_bridge_url: `${unionpay.url}/sim/wallet/bridge.js`,
      root_cert_pem: unionpay.sim.rootCertPem,
    });
    // After a restart the simulators learn the accounts again from the stored settings.
    expect((await simulatorMerchantOf(runtime.gw, account_ids.wechat!)).app_secret).toBe(
      wx?.config.oauth_app_secret,
    );
    await reregisterAlipayAccount(runtime.gw, account_ids.alipay!, alipay.sim);
    await reregisterUnionpayAccount(runtime.gw, account_ids.unionpay!, unionpay.sim);
  });

  it.each([
    ['WX_NATIVE', 'wechat'],
    ['ALI_QR', 'alipay'],
    ['UP_QR', 'unionpay'],
  ] as const)(
    '%s: created, paid on the wallet scan page, SUCCESS by notification',
    async (pay_way, channel) => {
      const created = await client.request<{ id: string; state: string; credential?: { code_url?: string } }>(
        'POST',
        '/v1/payments',
        { merchant_order_no: `seed-${pay_way}-${Date.now()}`, pay_way, amount: 101, subject: 'Seed test' },
      );
      expect(created.status).toBe(201);
      expect(created.body.state).toBe('PENDING');
      const code = created.body.credential?.code_url;
      expect(code).toBeTruthy();
      const sim_url = { wechat: wechat.url, alipay: alipay.url, unionpay: unionpay.url }[channel];
      const page = await fetch(`${sim_url}/sim/wallet/scan?code=${encodeURIComponent(code!)}`);
      expect(page.status).toBe(200);
      const paid = await fetch(`${sim_url}/sim/wallet/scan`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ code: code! }).toString(),
      });
      expect(await paid.text()).toContain('data-status="ok"');
      const final = await until(
        async () => (await client.request<{ state: string }>('GET', `/v1/payments/${created.body.id}`)).body,
        (p) => p.state === 'SUCCESS',
      );
      expect(final.state).toBe('SUCCESS');
    },
  );
});
