import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type AlipaySimulator, createAlipaySimulator } from '../../src/channels/alipay/simulator/server.ts';
import { makeTestCerts, rsaPair } from '../../src/channels/alipay/testing.ts';
import { orderIdOf } from '../../src/channels/unionpay/order-id.ts';
import { createUnionpaySimulator } from '../../src/channels/unionpay/simulator/server.ts';
import { KEYS, TEST_MER_ID } from '../../src/channels/unionpay/testing.ts';
import { seedWechatMerchant } from '../../src/demo/seed.ts';
import type { ChannelName, PayWay } from '../../src/domain/pay-way.ts';
import { SeededRandom } from '../../src/domain/random.ts';
import { PaymuxClient } from '../../src/sdk/client.ts';
import { createApp, createChannelAccount, createMerchant } from '../../src/services/tenants.ts';
import type { Harness } from './harness.ts';

/**
 * What the shared channel scenario suite needs from each channel: how to set up a merchant with
 * an account on that channel's simulator, and how to play the payer. Everything else — the
 * scenarios and their checks — is written once, in test/channel-scenarios.test.ts.
 */
export interface ChannelKit {
  label: string;
  channel: ChannelName;
  qr_way: PayWay;
  bar_way: PayWay;
  /** A fresh payment code of this wallet. */
  barCode(n: number): string;
  /** Whether the channel can close an unpaid QR order (UnionPay's ACP has no close for QR orders). */
  closes_qr_orders: boolean;
  /**
   * Whether the channel cancels a payment-code order while the payer is still confirming (WeChat,
   * Alipay); UnionPay answers "try again" until the confirmation ends (our reading of ACP).
   */
  reverses_while_paying: boolean;
  /** The channel's remaining pay ways: what to send, what comes back, how the payer opens it. */
  extra_ways: ExtraWay[];
  /** The in-wallet pay way, the payer identity it takes, and the credential field it returns. */
  jsapi: { way: PayWay; payer: Record<string, string>; credential: string };
  start(h: Harness): Promise<KitRuntime>;
}

export interface ExtraWay {
  way: PayWay;
  body: Record<string, unknown>;
  credential: string;
  /** What the payer's browser or app does with the credential before paying. */
  open?: (credential: Record<string, unknown>, sim_url: string) => Promise<void>;
}

export interface KitRuntime {
  client: PaymuxClient;
  /** The channel simulator's base URL (its control API lives there). */
  sim_url: string;
  account_id: string;
  pay(payment_id: string): Promise<void>;
  deliverNotifications(): Promise<void>;
  /** The next notification of this channel is lost on the way. */
  dropNextNotification(): Promise<void>;
  /** Adds a fault rule to the channel's simulator (simulator-kit/faults.ts). */
  addFault(rule: Record<string, unknown>): Promise<void>;
  stop(): Promise<void>;
}

async function postJson(url: string, body: unknown): Promise<void> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  if (res.status >= 300) throw new Error(`${url} answered ${res.status}: ${await res.text()}`);
}

/** The payer's browser opens the cashier page (where Alipay creates the trade). */
async function openPage(credential: Record<string, unknown>): Promise<void> {
  const res = await fetch(String(credential.pay_url));
  if (res.status !== 200) throw new Error(`cashier page answered ${res.status}`);
  await res.text();
}

/** The Alipay app submits the signed order string it was handed (the simulator plays the app). */
async function submitAppOrder(credential: Record<string, unknown>, sim_url: string): Promise<void> {
  const res = await fetch(`${sim_url}/sim/app-orders`, {
    method: 'POST',
    body: String(credential.app_order_string),
  });
  if (res.status !== 200) throw new Error(`the app order was refused: ${res.status} ${await res.text()}`);
}

const DROP_ONE = { kind: 'drop_notification', operation: 'notify', times: 1 };

export const wechatDirect: ChannelKit = {
  label: 'WeChat Pay (direct)',
  channel: 'wechat',
  qr_way: 'WX_NATIVE',
  bar_way: 'WX_BAR',
  barCode: (n) => `13${String(4_000_000_000_000_000 + n).slice(0, 16)}`,
  closes_qr_orders: true,
  reverses_while_paying: true,
  extra_ways: [
    {
      way: 'WX_LITE',
      body: { payer: { wechat_openid: 'oMiniProgramPayer00000000001' } },
      credential: 'jsapi_params',
    },
    { way: 'WX_H5', body: { client_ip: '203.0.113.7' }, credential: 'pay_url' },
    { way: 'WX_APP', body: {}, credential: 'app_params' },
  ],
  jsapi: {
    way: 'WX_JSAPI',
    payer: { wechat_openid: 'oUpF8uMuAJO_M2pxb1Q9zNjWeS6o' },
    credential: 'jsapi_params',
  },
  async start(h) {
    const seeded = await seedWechatMerchant(h.gateway.gw, 'Kit Shop WeChat', {
      url: h.channel_link.url,
      public_key_id: h.sim.platformPublicKeyId,
      public_key_pem: h.sim.platformPublicKeyPem,
    });
    h.sim.registerMerchant(seeded.wechat);
    return wechatRuntime(h, clientFor(h, seeded.app_id, seeded.app_secret), seeded.channel_account_id);
  },
};

export const alipayDirect: ChannelKit = {
  label: 'Alipay (direct, key mode)',
  channel: 'alipay',
  qr_way: 'ALI_QR',
  bar_way: 'ALI_BAR',
  barCode: (n) => `28${String(4_000_000_000_000_000 + n).slice(0, 16)}`,
  closes_qr_orders: true,
  reverses_while_paying: true,
  extra_ways: [
    {
      way: 'ALI_WAP',
      body: { return_url: 'https://shop.example/back' },
      credential: 'pay_url',
      open: openPage,
    },
    {
      way: 'ALI_PC',
      body: { return_url: 'https://shop.example/back' },
      credential: 'pay_url',
      open: openPage,
    },
    { way: 'ALI_APP', body: {}, credential: 'app_order_string', open: submitAppOrder },
  ],
  jsapi: { way: 'ALI_JSAPI', payer: { alipay_buyer_id: '2088102177846875' }, credential: 'trade_no' },
  async start(h) {
    const clock = h.gateway.gw.clock;
    const sim = createAlipaySimulator({ clock, random: new SeededRandom(41) });
    const url = await sim.app.listen({ host: '127.0.0.1', port: 0 });
    const keys = rsaPair();
    const app_id = '2021000000000777';
    const seller_id = '2088000000000777';
    sim.registerApp({ app_id, app_public_key_pem: keys.public_key_pem, seller_id });
    const { merchant_id, app_id: paymux_app, secret } = await merchantWithApp(h, 'Kit Shop Alipay');
    const account = await createChannelAccount(h.gateway.gw, {
      merchant_id,
      channel: 'alipay',
      mode: 'direct',
      name: 'Kit Alipay',
      settings: {
        app_id,
        seller_id,
        alipay_public_key_pem: sim.alipayPublicKeyPem,
        gateway_url: `${url}/gateway.do`,
      },
      secrets: { app_private_key_pem: keys.private_key_pem },
    });
    return alipayRuntime(sim, url, clientFor(h, paymux_app, secret), account.id);
  },
};

export const unionpayDirect: ChannelKit = {
  label: 'UnionPay Cloud QuickPass',
  channel: 'unionpay',
  qr_way: 'UP_QR',
  bar_way: 'UP_BAR',
  barCode: (n) => `62${String(40_000_000_000_000_000n + BigInt(n)).slice(0, 17)}`,
  closes_qr_orders: false,
  reverses_while_paying: false,
  extra_ways: [],
  jsapi: {
    way: 'UP_JSAPI',
    payer: { unionpay_user_auth_code: 'auth-code-from-cloud-quickpass' },
    credential: 'trade_no',
  },
  async start(h) {
    const clock = h.gateway.gw.clock;
    const sim = createUnionpaySimulator({ clock, random: new SeededRandom(42) });
    const url = await sim.app.listen({ host: '127.0.0.1', port: 0 });
    sim.registerMerchant({ mer_id: TEST_MER_ID, cert_pem: KEYS.merchant_cert_pem });
    const { merchant_id, app_id, secret } = await merchantWithApp(h, 'Kit Shop UnionPay');
    const account = await createChannelAccount(h.gateway.gw, {
      merchant_id,
      channel: 'unionpay',
      mode: 'direct',
      name: 'Kit UnionPay',
      settings: {
        mer_id: TEST_MER_ID,
        sign_cert_pem: KEYS.merchant_cert_pem,
        root_cert_pem: sim.rootCertPem,
        middle_cert_pem: sim.middleCertPem,
        gateway_base_url: url,
      },
      secrets: { sign_private_key_pem: KEYS.merchant_private_key_pem },
    });
    return {
      client: clientFor(h, app_id, secret),
      sim_url: url,
      account_id: account.id,
      pay: async (id) => {
        const paid = await sim.pay(orderIdOf(id)!);
        if (!paid.ok) throw new Error(`simulator refused to pay ${id}`);
      },
      deliverNotifications: async () => void (await sim.deliverDueNotifications()),
      dropNextNotification: async () => void sim.faults.add(DROP_ONE),
      addFault: async (rule) => void sim.faults.add(rule),
      stop: async () => {
        await sim.stop();
        await sim.app.close();
      },
    };
  },
};

/** WeChat Pay as a service provider paying for one of its sub-merchants (partner endpoints). */
export const wechatPartner: ChannelKit = {
  ...wechatDirect,
  label: 'WeChat Pay (service provider)',
  async start(h) {
    const keys = rsaPair();
    const sp = {
      mchid: '1900000100',
      appid: 'wxsp0000000000001',
      merchant_serial_no: 'ABCDEF0123456789ABCDEF0123456789ABCDEF01',
      apiv3_key: 'sPaPiV3KeyForTheScenarioSuite001',
      merchant_public_key_pem: keys.public_key_pem,
    };
    h.sim.registerMerchant({ ...sp, sub_merchants: [{ sub_mchid: '1900000201' }] });
    const { merchant_id, app_id, secret } = await merchantWithApp(h, 'Kit Sub-merchant');
    const account = await createChannelAccount(h.gateway.gw, {
      merchant_id,
      channel: 'wechat',
      mode: 'partner',
      name: 'Kit WeChat partner',
      settings: {
        mode: 'partner',
        mchid: sp.mchid,
        appid: sp.appid,
        sub_mchid: '1900000201',
        merchant_serial_no: sp.merchant_serial_no,
        wechatpay_public_key_id: h.sim.platformPublicKeyId,
        api_base_url: h.channel_link.url,
      },
      secrets: {
        merchant_private_key_pem: keys.private_key_pem,
        apiv3_key: sp.apiv3_key,
        wechatpay_public_key_pem: h.sim.platformPublicKeyPem,
      },
    });
    return wechatRuntime(h, clientFor(h, app_id, secret), account.id);
  },
};

/** WeChat Pay direct, with payment codes over APIv2 micropay (XML, MD5 sign) as older accounts use. */
export const wechatV2Codes: ChannelKit = {
  ...wechatDirect,
  label: 'WeChat Pay (direct, APIv2 micropay)',
  extra_ways: [],
  async start(h) {
    const keys = rsaPair();
    const m = {
      mchid: '1900000300',
      appid: 'wxv20000000000001',
      merchant_serial_no: '0123456789ABCDEF0123456789ABCDEF01234567',
      apiv3_key: 'v3KeyOfTheApiV2ScenarioKit000001',
      api_v2_key: 'v2KeyOfTheApiV2ScenarioKit000001',
      merchant_public_key_pem: keys.public_key_pem,
    };
    h.sim.registerMerchant(m);
    const { merchant_id, app_id, secret } = await merchantWithApp(h, 'Kit Shop WeChat v2');
    const account = await createChannelAccount(h.gateway.gw, {
      merchant_id,
      channel: 'wechat',
      mode: 'direct',
      name: 'Kit WeChat v2 codes',
      settings: {
        mchid: m.mchid,
        appid: m.appid,
        merchant_serial_no: m.merchant_serial_no,
        wechatpay_public_key_id: h.sim.platformPublicKeyId,
        api_base_url: h.channel_link.url,
        bar_protocol: 'v2',
        v2_sign_type: 'MD5',
      },
      secrets: {
        merchant_private_key_pem: keys.private_key_pem,
        apiv3_key: m.apiv3_key,
        api_v2_key: m.api_v2_key,
        wechatpay_public_key_pem: h.sim.platformPublicKeyPem,
      },
    });
    return wechatRuntime(h, clientFor(h, app_id, secret), account.id);
  },
};

/**
 * WeChat Pay direct in platform-certificate mode: no WeChat Pay public key configured; the adapter
 * downloads and decrypts the platform certificates, and the simulator signs with its certificate.
 */
export const wechatCertificates: ChannelKit = {
  ...wechatDirect,
  label: 'WeChat Pay (direct, platform certificates)',
  extra_ways: [],
  async start(h) {
    const keys = rsaPair();
    const m = {
      mchid: '1900000400',
      appid: 'wxcert00000000001',
      merchant_serial_no: '89ABCDEF0123456789ABCDEF0123456789ABCDEF',
      apiv3_key: 'v3KeyOfTheCertificateModeKit0001',
      merchant_public_key_pem: keys.public_key_pem,
    };
    h.sim.registerMerchant(m);
    await postJson(`${h.sim_url}/sim/merchants/${m.mchid}/key-mode`, { key_mode: 'certificate' });
    const { merchant_id, app_id, secret } = await merchantWithApp(h, 'Kit Shop WeChat certificates');
    const account = await createChannelAccount(h.gateway.gw, {
      merchant_id,
      channel: 'wechat',
      mode: 'direct',
      name: 'Kit WeChat certificates',
      settings: {
        mchid: m.mchid,
        appid: m.appid,
        merchant_serial_no: m.merchant_serial_no,
        api_base_url: h.channel_link.url,
      },
      secrets: { merchant_private_key_pem: keys.private_key_pem, apiv3_key: m.apiv3_key },
    });
    return wechatRuntime(h, clientFor(h, app_id, secret), account.id);
  },
};

/** Alipay as an ISV acting for a merchant (app_auth_token), in certificate mode. */
export const alipayIsvCert: ChannelKit = {
  ...alipayDirect,
  label: 'Alipay (ISV, certificate mode)',
  async start(h) {
    const clock = h.gateway.gw.clock;
    const alipay_keys = rsaPair();
    const merchant_keys = rsaPair();
    const isv_keys = rsaPair();
    const certs = makeTestCerts(alipay_keys, merchant_keys, isv_keys);
    const key_dir = mkdtempSync(join(tmpdir(), 'kit-alipay-'));
    const key_file = join(key_dir, 'alipay.pem');
    writeFileSync(key_file, alipay_keys.private_key_pem, { mode: 0o600 });
    const sim = createAlipaySimulator({
      clock,
      random: new SeededRandom(43),
      keyFile: key_file,
      certs: {
        alipay_public_cert_pem: certs.alipay_public_cert_pem,
        alipay_root_cert_pem: certs.alipay_root_cert_pem,
      },
    });
    const url = await sim.app.listen({ host: '127.0.0.1', port: 0 });
    const merchant_app = '2021000000000888';
    const isv_app = '2021000000000999';
    const seller_id = '2088000000000888';
    sim.registerApp({ app_id: merchant_app, app_public_key_pem: merchant_keys.public_key_pem, seller_id });
    sim.registerApp({
      app_id: isv_app,
      app_cert_pem: certs.isv_cert_pem,
      app_auth_tokens: { tok_kit_isv: merchant_app },
    });
    const { merchant_id, app_id, secret } = await merchantWithApp(h, 'Kit Shop Alipay ISV');
    const account = await createChannelAccount(h.gateway.gw, {
      merchant_id,
      channel: 'alipay',
      mode: 'partner',
      name: 'Kit Alipay ISV',
      settings: {
        app_id: isv_app,
        seller_id,
        app_cert_pem: certs.isv_cert_pem,
        alipay_public_cert_pem: certs.alipay_public_cert_pem,
        alipay_root_cert_pem: certs.alipay_root_cert_pem,
        gateway_url: `${url}/gateway.do`,
      },
      secrets: { app_private_key_pem: isv_keys.private_key_pem, app_auth_token: 'tok_kit_isv' },
    });
    return alipayRuntime(sim, url, clientFor(h, app_id, secret), account.id);
  },
};

export const CHANNEL_KITS: readonly ChannelKit[] = [
  wechatDirect,
  wechatPartner,
  wechatV2Codes,
  wechatCertificates,
  alipayDirect,
  alipayIsvCert,
  unionpayDirect,
];

/** The WeChat kits share the harness's WeChat Pay simulator; only the account differs. */
function wechatRuntime(h: Harness, client: PaymuxClient, account_id: string): KitRuntime {
  return {
    client,
    sim_url: h.sim_url,
    account_id,
    pay: async (id) => {
      const paid = h.sim.pay(id);
      if (!paid.ok) throw new Error(`simulator refused to pay ${id}: ${paid.code}`);
    },
    deliverNotifications: async () => void (await h.sim.deliverDueNotifications()),
    dropNextNotification: () => postJson(`${h.sim_url}/sim/faults`, DROP_ONE),
    addFault: (rule) => postJson(`${h.sim_url}/sim/faults`, rule),
    stop: async () => {},
  };
}

/** An Alipay kit's own simulator, and how the payer uses it. */
function alipayRuntime(
  sim: AlipaySimulator,
  url: string,
  client: PaymuxClient,
  account_id: string,
): KitRuntime {
  return {
    client,
    sim_url: url,
    account_id,
    pay: async (id) => {
      const paid = await sim.pay(id);
      if (!paid.ok) throw new Error(`simulator refused to pay ${id}`);
    },
    deliverNotifications: async () => void (await sim.deliverDueNotifications()),
    dropNextNotification: async () => void sim.addFault(DROP_ONE),
    addFault: async (rule) => void sim.addFault(rule),
    stop: async () => {
      await sim.stop();
      await sim.app.close();
    },
  };
}

async function merchantWithApp(h: Harness, name: string) {
  const merchant = await createMerchant(h.gateway.gw, name);
  const app = await createApp(h.gateway.gw, merchant.id, `${name} app`);
  return { merchant_id: merchant.id, app_id: app.id, secret: app.secret };
}

function clientFor(h: Harness, app_id: string, secret: string): PaymuxClient {
  const clock = h.gateway.gw.clock;
  return new PaymuxClient({
    base_url: h.gateway_url,
    app_id,
    secret,
    now_s: () => Math.floor(clock.now_ms() / 1000),
  });
}
