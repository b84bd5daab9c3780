import type { KeyObject } from 'node:crypto';
import { type UrlAllowance, urlSettingProblem } from '../config-url.ts';
import { APIV3_KEY_BYTES, privateKeyFromPem, publicKeyFromPem } from './crypto.ts';

/**
 * A WeChat Pay account (protocols.md §1.4, §1.7, §2): direct merchant (直连) or service provider
 * (服务商) acting for one sub-merchant; "WeChat Pay public key" mode, platform-certificate mode, or
 * both at once while a merchant migrates. The merchant's API key pair signs our requests, the APIv3
 * key decrypts notification resources and downloaded certificates, and the optional APIv2 key signs
 * payment-code traffic for accounts that keep the XML micropay.
 *
 * Errors name the setting and what is wrong with it, never its value: several are secrets.
 */
export type WechatMode = 'direct' | 'partner';
export type BarProtocol = 'v3' | 'v2';
export type V2SignTypeSetting = 'MD5' | 'HMAC-SHA256';

export interface WechatConfig {
  mode: WechatMode;
  /** Direct: the merchant's mchid. Partner: the service provider's (sp_mchid). */
  mchid: string;
  /** Direct: the appid. Partner: the service provider's (sp_appid). */
  appid: string;
  /** Partner only: the sub-merchant served by this account. */
  sub_mchid?: string;
  /** Partner only, optional: the sub-merchant's own appid; payers are then sub_openid. */
  sub_appid?: string;
  /** Serial number of the merchant API certificate, sent in every Authorization header. */
  merchant_serial_no: string;
  merchant_private_key_pem: string;
  /** 32 bytes, the AES-256 key of notification resources and certificate downloads. */
  apiv3_key: string;
  /** `PUB_KEY_ID_…`: what WeChat puts in Wechatpay-Serial when it signs with this key. Absent: certificates. */
  wechatpay_public_key_id?: string;
  wechatpay_public_key_pem?: string;
  /** Origin only (scheme, host, port), no trailing slash. */
  api_base_url: string;
  /** The APIv2 key (32 characters), for the XML micropay and its reverse. */
  api_v2_key?: string;
  /** Which protocol serves WX_BAR: v3 codepay (default) or v2 micropay (needs api_v2_key). */
  bar_protocol: BarProtocol;
  v2_sign_type: V2SignTypeSetting;
  /** The merchant API certificate (apiclient_cert.pem): APIv2 /secapi calls present it over TLS. */
  merchant_cert_pem?: string;
  /** Payer authorisation (OAuth2 snsapi_base): where the payer's browser is sent. */
  oauth_base_url: string;
  /** Payer authorisation: where the code is exchanged for the openid. */
  sns_api_base_url: string;
  /** The AppSecret of the appid used for OAuth (sub_appid in partner mode when set); a secret. */
  oauth_app_secret?: string;
  /** Simulator accounts only: the wallet bridge script the cashier page includes. */
  wallet_bridge_url?: string;
}

export const DEFAULT_API_BASE_URL = 'https://api.mch.weixin.qq.com';
export const DEFAULT_OAUTH_BASE_URL = 'https://open.weixin.qq.com';
export const DEFAULT_SNS_API_BASE_URL = 'https://api.weixin.qq.com';
const RSA_MODULUS_BITS_MIN = 2048;

export function isApiv3Key(value: string): boolean {
  return value.length === APIV3_KEY_BYTES && /^[\x20-\x7e]+$/.test(value);
}

function required(config: Readonly<Record<string, string>>, name: keyof WechatConfig): string {
  const value = config[name];
  if (typeof value !== 'string' || value.trim() === '') throw new Error(`wechat config: ${name} is missing`);
  return value;
}

function checkPattern(name: string, value: string, pattern: RegExp, expectation: string): void {
  if (!pattern.test(value)) throw new Error(`wechat config: ${name} must be ${expectation}`);
}

function checkRsaKey(name: string, parse: () => KeyObject): void {
  let key: KeyObject;
  try {
    key = parse();
  } catch {
    throw new Error(`wechat config: ${name} is not a readable PEM key`);
  }
  if (key.asymmetricKeyType !== 'rsa') throw new Error(`wechat config: ${name} must be an RSA key`);
  const bits = key.asymmetricKeyDetails?.modulusLength ?? 0;
  if (bits < RSA_MODULUS_BITS_MIN)
    throw new Error(`wechat config: ${name} must be at least ${RSA_MODULUS_BITS_MIN} bits`);
}

function normaliseBaseUrl(value: string | undefined): string {
  if (value === undefined || value.trim() === '') return DEFAULT_API_BASE_URL;
  // An origin only: the signed canonical URL is the path we send; a base path would have to be
  // signed too.
  const wrong = urlSettingProblem(value, {});
  if (wrong) throw new Error(`wechat config: api_base_url ${wrong}`);
  return new URL(value).origin;
}

function optional(config: Readonly<Record<string, string>>, name: keyof WechatConfig): string | undefined {
  const value = config[name];
  return typeof value === 'string' && value.trim() !== '' ? value : undefined;
}

const MCHID = /^\d{1,32}$/;
const APPID = /^[A-Za-z0-9_]{1,32}$/;

function oneOf<T extends string>(
  name: string,
  value: string | undefined,
  allowed: readonly T[],
  fallback: T,
): T {
  if (value === undefined) return fallback;
  if (!(allowed as readonly string[]).includes(value))
    throw new Error(`wechat config: ${name} must be one of ${allowed.join(', ')}`);
  return value as T;
}

/** The public key pair: both or neither (neither = platform certificates only). */
function publicKeyOf(config: Readonly<Record<string, string>>) {
  const id = optional(config, 'wechatpay_public_key_id');
  const pem = optional(config, 'wechatpay_public_key_pem');
  if (id === undefined && pem === undefined) return {};
  const wechatpay_public_key_id = required(config, 'wechatpay_public_key_id');
  checkPattern(
    'wechatpay_public_key_id',
    wechatpay_public_key_id,
    /^PUB_KEY_ID_[0-9A-Za-z]{1,64}$/,
    'PUB_KEY_ID_ followed by digits',
  );
  const wechatpay_public_key_pem = required(config, 'wechatpay_public_key_pem');
  checkRsaKey('wechatpay_public_key_pem', () => publicKeyFromPem(wechatpay_public_key_pem));
  return { wechatpay_public_key_id, wechatpay_public_key_pem };
}

function partnerIdsOf(config: Readonly<Record<string, string>>, mode: WechatMode) {
  const sub_mchid = optional(config, 'sub_mchid');
  const sub_appid = optional(config, 'sub_appid');
  if (mode === 'direct') {
    // A sub id on a direct account means the operator picked the wrong mode: say so.
    if (sub_mchid !== undefined || sub_appid !== undefined)
      throw new Error('wechat config: sub_mchid and sub_appid are for mode partner only');
    return {};
  }
  const sub = required(config, 'sub_mchid');
  checkPattern('sub_mchid', sub, MCHID, 'digits');
  if (sub === config.mchid) throw new Error('wechat config: sub_mchid must differ from mchid');
  if (sub_appid !== undefined) checkPattern('sub_appid', sub_appid, APPID, '1 to 32 letters, digits or _');
  return { sub_mchid: sub, ...(sub_appid !== undefined ? { sub_appid } : {}) };
}

function v2SettingsOf(config: Readonly<Record<string, string>>) {
  const api_v2_key = optional(config, 'api_v2_key');
  if (api_v2_key !== undefined && !/^[\x21-\x7e]{32}$/.test(api_v2_key))
    throw new Error('wechat config: api_v2_key must be exactly 32 printable ASCII characters');
  const bar_protocol = oneOf<BarProtocol>(
    'bar_protocol',
    optional(config, 'bar_protocol'),
    ['v3', 'v2'],
    'v3',
  );
  if (bar_protocol === 'v2' && api_v2_key === undefined)
    throw new Error('wechat config: api_v2_key is missing (bar_protocol v2 needs it)');
  const v2_sign_type = oneOf<V2SignTypeSetting>(
    'v2_sign_type',
    optional(config, 'v2_sign_type'),
    ['MD5', 'HMAC-SHA256'],
    'HMAC-SHA256',
  );
  const merchant_cert_pem = optional(config, 'merchant_cert_pem');
  if (merchant_cert_pem !== undefined && !merchant_cert_pem.includes('-----BEGIN CERTIFICATE-----'))
    throw new Error('wechat config: merchant_cert_pem must be a PEM certificate');
  return {
    bar_protocol,
    v2_sign_type,
    ...(api_v2_key !== undefined ? { api_v2_key } : {}),
    ...(merchant_cert_pem !== undefined ? { merchant_cert_pem } : {}),
  };
}

/** An optional absolute http(s) URL setting, without credentials (trailing slash dropped). */
function optionalUrl(
  config: Readonly<Record<string, string>>,
  name: string,
  fallback: string | undefined,
  allow: UrlAllowance,
): string | undefined {
  const value = config[name];
  if (typeof value !== 'string' || value.trim() === '') return fallback;
  const wrong = urlSettingProblem(value, allow);
  if (wrong) throw new Error(`wechat config: ${name} ${wrong}`);
  return value.replace(/\/+$/, '');
}

function payerAuthSettingsOf(config: Readonly<Record<string, string>>) {
  const oauth_app_secret = optional(config, 'oauth_app_secret');
  if (oauth_app_secret !== undefined && !/^[\x21-\x7e]{1,128}$/.test(oauth_app_secret))
    throw new Error('wechat config: oauth_app_secret must be 1 to 128 printable ASCII characters');
  const wallet_bridge_url = optionalUrl(config, 'wallet_bridge_url', undefined, { path: true, query: true });
  const base = { path: true };
  return {
    oauth_base_url: optionalUrl(config, 'oauth_base_url', DEFAULT_OAUTH_BASE_URL, base)!,
    sns_api_base_url: optionalUrl(config, 'sns_api_base_url', DEFAULT_SNS_API_BASE_URL, base)!,
    ...(oauth_app_secret !== undefined ? { oauth_app_secret } : {}),
    ...(wallet_bridge_url !== undefined ? { wallet_bridge_url } : {}),
  };
}

/** Validates and types an account's settings; throws an Error naming the first bad key. */
export function parseWechatConfig(config: Readonly<Record<string, string>>): WechatConfig {
  const mode = oneOf<WechatMode>('mode', optional(config, 'mode'), ['direct', 'partner'], 'direct');
  const mchid = required(config, 'mchid');
  checkPattern('mchid', mchid, MCHID, 'digits');
  const appid = required(config, 'appid');
  checkPattern('appid', appid, APPID, '1 to 32 letters, digits or _');
  const partner = partnerIdsOf(config, mode);
  const merchant_serial_no = required(config, 'merchant_serial_no');
  checkPattern(
    'merchant_serial_no',
    merchant_serial_no,
    /^[0-9A-Fa-f]{8,64}$/,
    'a hexadecimal certificate serial',
  );
  const merchant_private_key_pem = required(config, 'merchant_private_key_pem');
  checkRsaKey('merchant_private_key_pem', () => privateKeyFromPem(merchant_private_key_pem));
  const apiv3_key = required(config, 'apiv3_key');
  // The key is used as raw AES bytes; WeChat's portal only issues printable ASCII ones.
  if (!isApiv3Key(apiv3_key)) {
    throw new Error(`wechat config: apiv3_key must be exactly ${APIV3_KEY_BYTES} bytes of printable ASCII`);
  }
  const public_key = publicKeyOf(config);
  const api_base_url = normaliseBaseUrl(config['api_base_url']);
  return {
    mode,
    mchid,
    appid,
    ...partner,
    merchant_serial_no,
    merchant_private_key_pem,
    apiv3_key,
    ...public_key,
    api_base_url,
    ...v2SettingsOf(config),
    ...payerAuthSettingsOf(config),
  };
}
