import type { KeyObject } from 'node:crypto';
import { APIV3_KEY_BYTES, privateKeyFromPem, publicKeyFromPem } from './crypto.ts';

/**
 * A WeChat Pay direct-merchant account, in "WeChat Pay public key" mode (protocols.md §1.4): the
 * merchant's API key pair signs our requests, WeChat's published public key verifies its replies
 * and notifications, the APIv3 key decrypts notification resources.
 *
 * Errors name the setting and what is wrong with it, never its value: several are secrets.
 */
export interface WechatConfig {
  mchid: string;
  appid: string;
  /** Serial number of the merchant API certificate, sent in every Authorization header. */
  merchant_serial_no: string;
  merchant_private_key_pem: string;
  /** 32 bytes, the AES-256 key of notification resources. */
  apiv3_key: string;
  /** `PUB_KEY_ID_…`: what WeChat puts in Wechatpay-Serial when it signs with this key. */
  wechatpay_public_key_id: string;
  wechatpay_public_key_pem: string;
  /** Origin only (scheme, host, port), no trailing slash. */
  api_base_url: string;
}

export const DEFAULT_API_BASE_URL = 'https://api.mch.weixin.qq.com';
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
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new Error('wechat config: api_base_url must be an absolute http(s) URL');
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new Error('wechat config: api_base_url must be an absolute http(s) URL');
  }
  // The signed canonical URL is the path we send; a base path would have to be signed too.
  if ((url.pathname !== '/' && url.pathname !== '') || url.search !== '' || url.hash !== '') {
    throw new Error('wechat config: api_base_url must be an origin without path or query');
  }
  if (url.username !== '' || url.password !== '')
    throw new Error('wechat config: api_base_url must not carry credentials');
  return url.origin;
}

/** Validates and types an account's settings; throws an Error naming the first bad key. */
export function parseWechatConfig(config: Readonly<Record<string, string>>): WechatConfig {
  const mchid = required(config, 'mchid');
  checkPattern('mchid', mchid, /^\d{1,32}$/, 'digits');
  const appid = required(config, 'appid');
  checkPattern('appid', appid, /^[A-Za-z0-9_]{1,32}$/, '1 to 32 letters, digits or _');
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
  const wechatpay_public_key_id = required(config, 'wechatpay_public_key_id');
  checkPattern(
    'wechatpay_public_key_id',
    wechatpay_public_key_id,
    /^PUB_KEY_ID_[0-9A-Za-z]{1,64}$/,
    'PUB_KEY_ID_ followed by digits',
  );
  const wechatpay_public_key_pem = required(config, 'wechatpay_public_key_pem');
  checkRsaKey('wechatpay_public_key_pem', () => publicKeyFromPem(wechatpay_public_key_pem));
  const api_base_url = normaliseBaseUrl(config['api_base_url']);
  return {
    mchid,
    appid,
    merchant_serial_no,
    merchant_private_key_pem,
    apiv3_key,
    wechatpay_public_key_id,
    wechatpay_public_key_pem,
    api_base_url,
  };
}
