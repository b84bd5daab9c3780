import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Gateway } from '../services/gateway.ts';
import { createChannelAccount } from '../services/tenants.ts';

/**
 * A UnionPay (ACP, Cloud QuickPass) direct-merchant account for an existing merchant, pointing at
 * a UnionPay simulator, and the simulator told about it: what `paymux start` seeds for the demo.
 *
 * The public test certificates in the vectors expired on 2026-11-26, so nothing here uses them:
 * the merchant's signing key and certificate are made now (openssl, valid ten years), and the
 * UnionPay root and middle are those of the simulator's own CA (made at its first start, valid
 * 2000–2099). The account's user authorisation and wallet bridge point at the simulator too.
 */

/** The simulator as the seed needs it (UnionpaySimulator fits). */
export interface UnionpaySimulatorTarget {
  rootCertPem: string;
  middleCertPem: string;
  registerMerchant(merchant: { mer_id: string; cert_pem: string }): unknown;
}

/** What the simulator is told about the merchant: its number and signing certificate. */
export interface UnionpaySimulatorMerchant {
  mer_id: string;
  cert_pem: string;
}

export interface SeededUnionpayAccount {
  channel_account_id: string;
  unionpay: UnionpaySimulatorMerchant;
}

export function unionpaySimulatorWalletSettings(sim_url: string): Record<string, string> {
  return {
    gateway_base_url: sim_url,
    user_auth_base_url: sim_url,
    wallet_bridge_url: `${sim_url}/sim/wallet/bridge.js`,
  };
}

const OPENSSL_TIMEOUT_MS = 30_000;
const CERT_DAYS = 3650;

/** A fresh RSA-2048 key and a self-signed certificate for it (serial like UnionPay's 11-digit certIds). */
export function makeMerchantSigningCert(mer_id: string): { cert_pem: string; private_key_pem: string } {
  const dir = mkdtempSync(join(tmpdir(), 'paymux-up-merchant-'));
  try {
    const serial = String(10_000_000_000 + (randomBytes(4).readUInt32BE(0) % 89_999_999_999));
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-keyout',
        'merchant.key',
        '-out',
        'merchant.pem',
        '-days',
        String(CERT_DAYS),
        '-set_serial',
        serial,
        '-subj',
        `/C=CN/O=Paymux Demo/CN=${mer_id}`,
      ],
      { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'], timeout: OPENSSL_TIMEOUT_MS },
    );
    return {
      cert_pem: readFileSync(join(dir, 'merchant.pem'), 'utf8'),
      private_key_pem: readFileSync(join(dir, 'merchant.key'), 'utf8'),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function seedUnionpayAccount(
  gw: Gateway,
  merchant_id: string,
  sim: UnionpaySimulatorTarget,
  sim_url: string,
  options: { name?: string } = {},
): Promise<SeededUnionpayAccount> {
  const mer_id = `777${Array.from(randomBytes(12), (b) => String(b % 10)).join('')}`;
  const signing = makeMerchantSigningCert(mer_id);
  const account = await createChannelAccount(gw, {
    merchant_id,
    channel: 'unionpay',
    mode: 'direct',
    name: options.name ?? 'Demo UnionPay',
    settings: {
      mer_id,
      sign_cert_pem: signing.cert_pem,
      root_cert_pem: sim.rootCertPem,
      middle_cert_pem: sim.middleCertPem,
      ...unionpaySimulatorWalletSettings(sim_url),
    },
    secrets: { sign_private_key_pem: signing.private_key_pem },
  });
  const unionpay = { mer_id, cert_pem: signing.cert_pem };
  sim.registerMerchant(unionpay);
  return { channel_account_id: account.id, unionpay };
}

/** What the simulator needs to know of an existing account (after a restart of the demo). */
export async function unionpaySimulatorMerchantOf(
  gw: Gateway,
  channel_account_id: string,
): Promise<UnionpaySimulatorMerchant> {
  const account = await gw.accounts.load(channel_account_id);
  if (!account) throw new Error(`channel account ${channel_account_id} not found`);
  return { mer_id: account.config.mer_id!, cert_pem: account.config.sign_cert_pem! };
}

/** Registers an existing account's merchant with a (restarted) simulator again. */
export async function reregisterUnionpayAccount(
  gw: Gateway,
  channel_account_id: string,
  sim: UnionpaySimulatorTarget,
): Promise<UnionpaySimulatorMerchant> {
  const merchant = await unionpaySimulatorMerchantOf(gw, channel_account_id);
  sim.registerMerchant(merchant);
  return merchant;
}
