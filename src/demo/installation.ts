import { join, relative } from 'node:path';
import Fastify from 'fastify';
import type { GatewayRuntime } from '../boot/open-gateway.ts';
import { startAlipaySimulatorInProcess } from '../channels/alipay/simulator/in-process.ts';
import { startUnionpaySimulatorInProcess } from '../channels/unionpay/simulator/in-process.ts';
import { startWechatSimulatorInProcess } from '../channels/wechat/simulator/in-process.ts';
import type { Config } from '../config/env.ts';
import { verifyWebhook } from '../protocol/merchant-signature.ts';
import { createStaticCode } from '../services/static-codes.ts';
import { findStaticCode } from '../storage/repositories/static-codes.ts';
import { findApp } from '../storage/repositories/tenants.ts';
import { type DemoFile, readDemoFile, writeDemoFile } from './demo-file.ts';
import { seedWechatMerchant, simulatorMerchantOf } from './seed.ts';
import { reregisterAlipayAccount, seedAlipayAccount } from './seed-alipay.ts';
import { reregisterUnionpayAccount, seedUnionpayAccount } from './seed-unionpay.ts';

/**
 * The demo around a running gateway: the three channel simulators, a demo merchant with an
 * account on each (seeded on first start, registered again with the simulators after a restart),
 * a static code, and a demo shop that prints the signed notifications it receives. `paymux start`
 * runs it; the browser tests run exactly the same thing.
 */
export interface DemoInstallation {
  demo: DemoFile;
  /** The simulators themselves (tests reach their controls). */
  sims: {
    wechat: Awaited<ReturnType<typeof startWechatSimulatorInProcess>>;
    alipay: Awaited<ReturnType<typeof startAlipaySimulatorInProcess>>;
    unionpay: Awaited<ReturnType<typeof startUnionpaySimulatorInProcess>>;
  };
  shop_url: string;
  /** What `paymux start` prints under the gateway's lines. */
  lines: string[];
  close(): Promise<void>;
}

/** Ports next to the gateway's, in this order; 0 (tests) takes free ones. */
const PORT_OFFSET = { wechat: 1, shop: 2, alipay: 3, unionpay: 4 } as const;

export async function startDemoInstallation(
  runtime: GatewayRuntime,
  config: Config,
  gateway_url: string,
  log: (line: string) => void = console.log,
): Promise<DemoInstallation> {
  const { gw } = runtime;
  const port = (name: keyof typeof PORT_OFFSET) => (config.port === 0 ? 0 : config.port + PORT_OFFSET[name]);
  const keys = join(config.data_dir, 'simulators');
  const closers: Array<() => Promise<unknown>> = [];
  const host = config.host;

  const wechat = await startWechatSimulatorInProcess({
    host,
    port: port('wechat'),
    platformKeyFile: join(keys, 'wechat-platform-key.json'),
  });
  closers.push(() => wechat.close());
  const alipay = await startAlipaySimulatorInProcess({
    host,
    port: port('alipay'),
    keyFile: join(keys, 'alipay-key.json'),
  });
  closers.push(() => alipay.close());
  const unionpay = await startUnionpaySimulatorInProcess({
    host,
    port: port('unionpay'),
    keyDir: join(keys, 'unionpay'),
  });
  closers.push(() => unionpay.close());

  let demo = readDemoFile(config.data_dir);
  if (demo && !(await findApp(gw.store.db, demo.app_id))) demo = null;
  if (!demo) {
    const seeded = await seedWechatMerchant(gw, 'Demo Shop', {
      url: wechat.url,
      public_key_id: wechat.sim.platformPublicKeyId,
      public_key_pem: wechat.sim.platformPublicKeyPem,
    });
    demo = {
      merchant_id: seeded.merchant_id,
      app_id: seeded.app_id,
      app_secret: seeded.app_secret,
      channel_account_id: seeded.channel_account_id,
      gateway_url,
      wechat_simulator_url: wechat.url,
    };
  }
  wechat.sim.registerMerchant(await simulatorMerchantOf(gw, demo.channel_account_id));
  if (demo.alipay_account_id) await reregisterAlipayAccount(gw, demo.alipay_account_id, alipay.sim);
  else
    demo.alipay_account_id = (
      await seedAlipayAccount(gw, demo.merchant_id, alipay.sim, alipay.url)
    ).channel_account_id;
  if (demo.unionpay_account_id) await reregisterUnionpayAccount(gw, demo.unionpay_account_id, unionpay.sim);
  else
    demo.unionpay_account_id = (
      await seedUnionpayAccount(gw, demo.merchant_id, unionpay.sim, unionpay.url)
    ).channel_account_id;

  const shop = Fastify({ logger: false });
  shop.removeAllContentTypeParsers();
  shop.addContentTypeParser('*', { parseAs: 'string' }, (_r, body, done) => done(null, body));
  const app_secret = demo.app_secret;
  shop.post('/notify', async (request) => {
    const body = String(request.body);
    const check = verifyWebhook(
      app_secret,
      String(request.headers['paymux-signature'] ?? ''),
      body,
      Math.floor(Date.now() / 1000),
    );
    const event = JSON.parse(body) as {
      type: string;
      data: { object: { id: string; state: string; amount: number }; error?: { code: string } };
    };
    const p = event.data.object;
    const error = event.data.error ? ` [${event.data.error.code}]` : '';
    log(
      `demo shop received ${event.type} for ${p.id} (${p.state}, ${p.amount} fen)${error}: signature ${check.ok ? 'valid' : `INVALID (${check.reason})`}`,
    );
    return 'ok';
  });
  const shop_url = await shop.listen({ host, port: port('shop') });
  closers.push(() => shop.close());

  const app = await gw.credentials.get(demo.app_id);
  const existing_code = demo.static_code_id
    ? await findStaticCode(gw.store.db, demo.static_code_id)
    : undefined;
  if (!existing_code && app) {
    demo.static_code_id = (
      await createStaticCode(gw, app, { name: 'Front counter 前台', notify_url: `${shop_url}/notify` })
    ).id;
  }

  demo = {
    ...demo,
    gateway_url,
    wechat_simulator_url: wechat.url,
    alipay_simulator_url: alipay.url,
    unionpay_simulator_url: unionpay.url,
  };
  writeDemoFile(config.data_dir, demo);
  gw.settings.demo = {
    app_id: demo.app_id,
    app_secret: demo.app_secret,
    notify_url: `${shop_url}/notify`,
    wallet_scan_urls: {
      wechat: `${wechat.url}/sim/wallet/scan`,
      alipay: `${alipay.url}/sim/wallet/scan`,
      unionpay: `${unionpay.url}/sim/wallet/scan`,
    },
  };

  const public_url = gw.settings.public_url;
  // A demo seeded before the cashier existed has a WeChat account without an AppSecret for OAuth.
  const wechat_account = await gw.accounts.load(demo.channel_account_id);
  const wechat_hint = wechat_account?.config.oauth_app_secret
    ? []
    : [
        `  (this demo's WeChat account predates the QR cashier, which therefore offers only Alipay and UnionPay; remove ${relative(process.cwd(), config.data_dir)} to seed it afresh)`,
      ];
  const lines = [
    `  WeChat Pay sim     ${wechat.url}`,
    `  Alipay sim         ${alipay.url}`,
    `  UnionPay sim       ${unionpay.url}`,
    `  Demo shop          ${shop_url}/notify    (receives signed merchant notifications)`,
    '',
    `Demo merchant ${demo.merchant_id}, app ${demo.app_id} (its secret is in ${relative(process.cwd(), join(config.data_dir, 'demo.json'))})`,
    '',
    `Try it in a browser: ${public_url}/test`,
    ...wechat_hint,
    '  pick a pay way and an amount, create the payment, then click the simulated wallet to pay;',
    '  the page shows the state change and this terminal prints the notification the shop received.',
    ...(demo.static_code_id
      ? [
          `Static code (码牌): ${public_url}/c/${demo.static_code_id}    (printable plate: ${public_url}/c/${demo.static_code_id}/plate.png)`,
        ]
      : []),
    '',
    'Or take a first payment from the command line (in another terminal):',
    `  1. npm run paymux -- call POST /v1/payments '{"merchant_order_no":"demo-${Date.now()}","pay_way":"WX_NATIVE","amount":1,"subject":"Coffee","notify_url":"${shop_url}/notify"}'`,
    '     → a payment in state PENDING with a code_url and a qr_image_url',
    '  2. npm run paymux -- sim pay <payment id>        (the payer pays in the WeChat Pay simulator)',
    '  3. this terminal prints: demo shop received payment.succeeded … signature valid',
    '  4. npm run paymux -- call GET /v1/payments/<payment id>    → state SUCCESS',
  ];
  return {
    demo,
    sims: { wechat, alipay, unionpay },
    shop_url,
    lines,
    async close() {
      for (const close of closers.reverse()) await close().catch(() => {});
    },
  };
}
