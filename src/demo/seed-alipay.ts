import { createPublicKey, generateKeyPairSync, randomBytes } from 'node:crypto';
import type { Gateway } from '../services/gateway.ts';
import { createChannelAccount } from '../services/tenants.ts';

/**
 * An Alipay direct app (key mode) for an existing merchant, pointing at an Alipay simulator, and
 * the simulator told about it: what `paymux start` seeds for the demo. The app key pair, app_id
 * and seller_id are made up here, as a real merchant gets them from the Alipay open platform.
 * The account's payer authorisation and wallet bridge point at the simulator too.
 */

/** The simulator as the seed needs it (AlipaySimulator fits). */
export interface AlipaySimulatorTarget {
  alipayPublicKeyPem: string;
  registerApp(value: unknown): unknown;
}

/** What the simulator is told about the app (its side of the sign-up). */
export interface AlipaySimulatorApp {
  app_id: string;
  app_public_key_pem: string;
  seller_id: string;
  /** How alipay.system.oauth.token names payers: user_id (default) or open_id (newer apps). */
  identity_mode?: 'user_id' | 'open_id';
}

export interface SeededAlipayAccount {
  channel_account_id: string;
  alipay: AlipaySimulatorApp;
}

export function alipaySimulatorWalletSettings(sim_url: string): Record<string, string> {
  return {
    gateway_url: `${sim_url}/gateway.do`,
    oauth_base_url: sim_url,
    wallet_bridge_url: `${sim_url}/sim/wallet/bridge.js`,
  };
}

function digits(n: number): string {
  return Array.from(randomBytes(n), (b) => String(b % 10)).join('');
}

export async function seedAlipayAccount(
  gw: Gateway,
  merchant_id: string,
  sim: AlipaySimulatorTarget,
  sim_url: string,
  options: { name?: string; identity_mode?: 'user_id' | 'open_id' } = {},
): Promise<SeededAlipayAccount> {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const alipay: AlipaySimulatorApp = {
    app_id: `2021${digits(12)}`,
    app_public_key_pem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    seller_id: `2088${digits(12)}`,
    ...(options.identity_mode !== undefined ? { identity_mode: options.identity_mode } : {}),
  };
  const account = await createChannelAccount(gw, {
    merchant_id,
    channel: 'alipay',
    mode: 'direct',
    name: options.name ?? 'Demo Alipay',
    settings: {
      app_id: alipay.app_id,
      seller_id: alipay.seller_id,
      alipay_public_key_pem: sim.alipayPublicKeyPem,
      ...alipaySimulatorWalletSettings(sim_url),
    },
    secrets: { app_private_key_pem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString() },
  });
  sim.registerApp(alipay);
  return { channel_account_id: account.id, alipay };
}

/** What the simulator needs to know of an existing account (after a restart of the demo). */
export async function alipaySimulatorAppOf(
  gw: Gateway,
  channel_account_id: string,
): Promise<AlipaySimulatorApp> {
  const account = await gw.accounts.load(channel_account_id);
  if (!account) throw new Error(`channel account ${channel_account_id} not found`);
  const c = account.config;
  return {
    app_id: c.app_id!,
    app_public_key_pem: createPublicKey(c.app_private_key_pem!)
      .export({ type: 'spki', format: 'pem' })
      .toString(),
    seller_id: c.seller_id!,
  };
}

/** Registers an existing account's app with a (restarted) simulator again. */
export async function reregisterAlipayAccount(
  gw: Gateway,
  channel_account_id: string,
  sim: AlipaySimulatorTarget,
): Promise<AlipaySimulatorApp> {
  const app = await alipaySimulatorAppOf(gw, channel_account_id);
  sim.registerApp(app);
  return app;
}
