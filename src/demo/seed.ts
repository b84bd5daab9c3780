import { createPublicKey, generateKeyPairSync, randomBytes } from 'node:crypto';
import { alphanumericNonce } from '../domain/random.ts';
import type { Gateway } from '../services/gateway.ts';
import { createApp, createChannelAccount, createMerchant } from '../services/tenants.ts';

/**
 * Creates a merchant with an app and a WeChat Pay direct account that points at a WeChat Pay
 * simulator: what `paymux start` seeds for the demo and what the end-to-end tests start from.
 * The merchant API key pair, mchid, appid and APIv3 key are made up here, as a real merchant
 * gets them from the WeChat Pay portal.
 */
export interface WechatSimulatorInfo {
  url: string;
  public_key_id: string;
  public_key_pem: string;
}

/** What the simulator must be told about the merchant (its side of the sign-up). */
export interface WechatSimulatorMerchant {
  mchid: string;
  appid: string;
  merchant_serial_no: string;
  merchant_public_key_pem: string;
  apiv3_key: string;
  /** The appid's AppSecret (web-page OAuth for the QR cashier); absent on accounts seeded before it. */
  app_secret?: string;
}

/** The settings that point an account's payer authorisation and wallet bridge at a WeChat simulator. */
export function wechatSimulatorWalletSettings(sim_url: string): Record<string, string> {
  return {
    oauth_base_url: sim_url,
    sns_api_base_url: sim_url,
    wallet_bridge_url: `${sim_url}/sim/wallet/bridge.js`,
  };
}

export interface SeededMerchant {
  merchant_id: string;
  app_id: string;
  app_secret: string;
  channel_account_id: string;
  wechat: WechatSimulatorMerchant;
}

export async function seedWechatMerchant(
  gw: Gateway,
  name: string,
  sim: WechatSimulatorInfo,
  /** A merchant key to use instead of a new one (a key pair costs ~100 ms; the bench seeds 1,000). */
  options: { merchant_private_key_pem?: string } = {},
): Promise<SeededMerchant> {
  const merchant_private_key_pem =
    options.merchant_private_key_pem ??
    generateKeyPairSync('rsa', { modulusLength: 2048 })
      .privateKey.export({ type: 'pkcs8', format: 'pem' })
      .toString();
  const digits = (n: number) => Array.from(randomBytes(n), (b) => String(b % 10)).join('');
  const wechat = {
    mchid: `19${digits(8)}`,
    appid: `wx${randomBytes(8).toString('hex')}`,
    merchant_serial_no: randomBytes(20).toString('hex').toUpperCase(),
    apiv3_key: alphanumericNonce(gw.random, 32),
    app_secret: randomBytes(16).toString('hex'),
  };
  const merchant = await createMerchant(gw, name);
  const app = await createApp(gw, merchant.id, `${name} app`);
  const account = await createChannelAccount(gw, {
    merchant_id: merchant.id,
    channel: 'wechat',
    mode: 'direct',
    name: `${name} WeChat Pay`,
    settings: {
      mchid: wechat.mchid,
      appid: wechat.appid,
      merchant_serial_no: wechat.merchant_serial_no,
      wechatpay_public_key_id: sim.public_key_id,
      api_base_url: sim.url,
      ...wechatSimulatorWalletSettings(sim.url),
    },
    secrets: {
      merchant_private_key_pem,
      apiv3_key: wechat.apiv3_key,
      wechatpay_public_key_pem: sim.public_key_pem,
      oauth_app_secret: wechat.app_secret,
    },
  });
  return {
    merchant_id: merchant.id,
    app_id: app.id,
    app_secret: app.secret,
    channel_account_id: account.id,
    wechat: { ...wechat, merchant_public_key_pem: publicPemOf(merchant_private_key_pem) },
  };
}

/** What the simulator needs to know of an existing account (after a restart of the demo). */
export async function simulatorMerchantOf(
  gw: Gateway,
  channel_account_id: string,
): Promise<WechatSimulatorMerchant> {
  const account = await gw.accounts.load(channel_account_id);
  if (!account) throw new Error(`channel account ${channel_account_id} not found`);
  const c = account.config;
  return {
    mchid: c.mchid!,
    appid: c.appid!,
    merchant_serial_no: c.merchant_serial_no!,
    merchant_public_key_pem: publicPemOf(c.merchant_private_key_pem!),
    apiv3_key: c.apiv3_key!,
    ...(c.oauth_app_secret ? { app_secret: c.oauth_app_secret } : {}),
  };
}

function publicPemOf(private_pem: string): string {
  return createPublicKey(private_pem).export({ type: 'spki', format: 'pem' }).toString();
}
