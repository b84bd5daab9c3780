import { createPublicKey, type KeyObject } from 'node:crypto';
import { urlSettingProblem } from '../config-url.ts';
import { certSnOf, rootCertSnOf } from './cert-sn.ts';
import { privateKeyOf, publicKeyOf } from './crypto.ts';

/**
 * An Alipay app's settings (protocols.md §3.1), in one of the two signing modes:
 *
 * - key mode (公钥模式): `alipay_public_key_pem` verifies Alipay's replies and notifications;
 * - certificate mode (公钥证书模式): `app_cert_pem`, `alipay_public_cert_pem` and
 *   `alipay_root_cert_pem`; every request then carries app_cert_sn and alipay_root_cert_sn, and
 *   Alipay's replies name the certificate they were signed under in alipay_cert_sn.
 *
 * Direct (the app is the merchant's own) or ISV (a third-party app acting for a merchant, which
 * adds `app_auth_token` to every request). Errors name the setting, never its value.
 */
export type AlipaySignMode = 'key' | 'cert';

export interface AlipayConfig {
  app_id: string;
  app_private_key: KeyObject;
  mode: AlipaySignMode;
  /** Verifies Alipay's signatures; from alipay_public_key_pem or alipay_public_cert_pem. */
  alipay_public_key: KeyObject;
  /** Certificate mode only. */
  app_cert_sn?: string;
  alipay_cert_sn?: string;
  alipay_root_cert_sn?: string;
  /** ISV mode: the merchant's authorisation of our app. */
  app_auth_token?: string;
  /** The merchant's Alipay user id (2088…); when set, notifications must name it. */
  seller_id?: string;
  gateway_url: string;
  /** Payer authorisation (auth_base): where the payer's browser is sent. */
  oauth_base_url: string;
  /** Simulator accounts only: the wallet bridge script the cashier page includes. */
  wallet_bridge_url?: string;
}

export const DEFAULT_GATEWAY_URL = 'https://openapi.alipay.com/gateway.do';
export const DEFAULT_OAUTH_BASE_URL = 'https://openauth.alipay.com';
const RSA_MODULUS_BITS_MIN = 2048;

type Raw = Readonly<Record<string, string>>;

function fail(message: string): never {
  throw new Error(`alipay config: ${message}`);
}

function optional(config: Raw, name: string): string | undefined {
  const value = config[name];
  return typeof value === 'string' && value.trim() !== '' ? value : undefined;
}

function required(config: Raw, name: string): string {
  return optional(config, name) ?? fail(`${name} is missing`);
}

function rsaKey(name: string, parse: () => KeyObject): KeyObject {
  let key: KeyObject;
  try {
    key = parse();
  } catch {
    return fail(`${name} is not a readable key`);
  }
  if (key.asymmetricKeyType !== 'rsa') fail(`${name} must be an RSA key`);
  if ((key.asymmetricKeyDetails?.modulusLength ?? 0) < RSA_MODULUS_BITS_MIN)
    fail(`${name} must be at least ${RSA_MODULUS_BITS_MIN} bits`);
  return key;
}

function sn(name: string, compute: () => string): string {
  let value: string;
  try {
    value = compute();
  } catch {
    return fail(`${name} is not a readable PEM certificate`);
  }
  if (value === '') fail(`${name} holds no RSA-signed certificate`);
  return value;
}

function gatewayUrl(value: string | undefined): string {
  if (value === undefined) return DEFAULT_GATEWAY_URL;
  const wrong = urlSettingProblem(value, { path: true });
  if (wrong) fail(`gateway_url ${wrong}`);
  return new URL(value).href;
}

/** An optional absolute http(s) URL setting without query, fragment or credentials; no trailing slash. */
function plainUrl(name: string, value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  const wrong = urlSettingProblem(value, { path: true });
  if (wrong) fail(`${name} ${wrong}`);
  return value.replace(/\/+$/, '');
}

const CERT_KEYS = ['app_cert_pem', 'alipay_public_cert_pem', 'alipay_root_cert_pem'] as const;

/** Validates and types an account's settings; throws an Error naming the first bad key. */
export function parseAlipayConfig(config: Raw): AlipayConfig {
  const app_id = required(config, 'app_id');
  if (!/^\d{10,32}$/.test(app_id)) fail('app_id must be digits');
  const private_pem = required(config, 'app_private_key_pem');
  const app_private_key = rsaKey('app_private_key_pem', () => privateKeyOf(private_pem));

  const cert_keys_set = CERT_KEYS.filter((name) => optional(config, name) !== undefined);
  const public_pem = optional(config, 'alipay_public_key_pem');
  let mode: AlipaySignMode;
  let alipay_public_key: KeyObject;
  const certs: Pick<AlipayConfig, 'app_cert_sn' | 'alipay_cert_sn' | 'alipay_root_cert_sn'> = {};
  if (cert_keys_set.length > 0) {
    if (public_pem !== undefined) fail('set alipay_public_key_pem (key mode) or the certificates, not both');
    for (const name of CERT_KEYS) required(config, name);
    mode = 'cert';
    const app_cert = config.app_cert_pem!;
    const alipay_cert = config.alipay_public_cert_pem!;
    const root_cert = config.alipay_root_cert_pem!;
    certs.app_cert_sn = sn('app_cert_pem', () => certSnOf(app_cert));
    certs.alipay_cert_sn = sn('alipay_public_cert_pem', () => certSnOf(alipay_cert));
    certs.alipay_root_cert_sn = sn('alipay_root_cert_pem', () => rootCertSnOf(root_cert));
    alipay_public_key = rsaKey('alipay_public_cert_pem', () => publicKeyOf(alipay_cert));
    // A certificate for another key would make every request fail at Alipay; say so now.
    const app_public = rsaKey('app_cert_pem', () => publicKeyOf(app_cert));
    if (!app_public.equals(createPublicKey(app_private_key)))
      fail('app_cert_pem does not certify app_private_key_pem');
  } else {
    mode = 'key';
    if (public_pem === undefined) fail('alipay_public_key_pem is missing');
    alipay_public_key = rsaKey('alipay_public_key_pem', () => publicKeyOf(public_pem));
  }

  const app_auth_token = optional(config, 'app_auth_token');
  if (app_auth_token !== undefined && !/^[\x21-\x7e]{1,128}$/.test(app_auth_token))
    fail('app_auth_token must be 1 to 128 printable characters');
  const seller_id = optional(config, 'seller_id');
  if (seller_id !== undefined && !/^2088\d{12}$/.test(seller_id))
    fail('seller_id must be 2088 and 12 digits');

  return {
    app_id,
    app_private_key,
    mode,
    alipay_public_key,
    ...certs,
    ...(app_auth_token !== undefined ? { app_auth_token } : {}),
    ...(seller_id !== undefined ? { seller_id } : {}),
    gateway_url: gatewayUrl(optional(config, 'gateway_url')),
    oauth_base_url: plainUrl('oauth_base_url', optional(config, 'oauth_base_url')) ?? DEFAULT_OAUTH_BASE_URL,
    ...optionalEntry(
      'wallet_bridge_url',
      plainUrl('wallet_bridge_url', optional(config, 'wallet_bridge_url')),
    ),
  };
}

function optionalEntry<K extends string>(name: K, value: string | undefined): { [P in K]?: string } {
  return (value === undefined ? {} : { [name]: value }) as { [P in K]?: string };
}

/** Parsed configs by the account's settings object: parsing certificates on every call is waste. */
const parsed = new WeakMap<Raw, AlipayConfig>();

export function alipayConfigOf(config: Raw): AlipayConfig {
  const hit = parsed.get(config);
  if (hit) return hit;
  const value = parseAlipayConfig(config);
  parsed.set(config, value);
  return value;
}
