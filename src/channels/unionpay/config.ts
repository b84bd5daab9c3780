import { createHash, type KeyObject, type X509Certificate } from 'node:crypto';
import { urlSettingProblem } from '../config-url.ts';
import { readCertificate, type TrustAnchors } from './cert-chain.ts';
import { DEFAULT_GATEWAY_BASE_URL, DEFAULT_SIGNER_CN_NAME, DEFAULT_USER_AUTH_BASE_URL } from './constants.ts';
import { certIdOf, keyMatchesCert, privateKeyFromPem } from './crypto.ts';

/**
 * A UnionPay ACP direct-merchant account: the merchant's signing key and certificate (certId is
 * derived from the certificate, never typed in), the UnionPay root and middle certificates that a
 * reply's signPubKeyCert must chain to, and the gateway.
 *
 * Errors name the setting and what is wrong with it, never its value: the key is a secret.
 */
export interface UnionpayConfig {
  mer_id: string;
  sign_private_key_pem: string;
  sign_cert_pem: string;
  /** Decimal serial of sign_cert_pem, sent as certId. */
  cert_id: string;
  anchors: TrustAnchors;
  /** Origin, optionally with a base path; no trailing slash. */
  gateway_base_url: string;
  /** UnionPay's encryption certificate (for sensitive fields); kept for later use, validated now. */
  encrypt_cert_pem?: string;
  /** Cloud QuickPass user authorisation host (payer authorisation for UP_JSAPI). */
  user_auth_base_url: string;
  /** Simulator accounts only: the wallet bridge script the cashier page includes. */
  wallet_bridge_url?: string;
}

/** The settings an account holds, by name. */
export const CONFIG_KEYS = [
  'mer_id',
  'sign_private_key_pem',
  'sign_cert_pem',
  'root_cert_pem',
  'middle_cert_pem',
  'signer_cn_name',
  'gateway_base_url',
  'encrypt_cert_pem',
  'user_auth_base_url',
  'wallet_bridge_url',
] as const;
type ConfigKey = (typeof CONFIG_KEYS)[number];

const RSA_MODULUS_BITS_MIN = 2048;
const CACHE_ENTRIES_MAX = 64;
/** Parsed configs by a digest of their settings: certificates are parsed once, not per call. */
const cache = new Map<string, UnionpayConfig>();

function problem(name: ConfigKey, what: string): Error {
  return new Error(`unionpay config: ${name} ${what}`);
}

function required(config: Readonly<Record<string, string>>, name: ConfigKey): string {
  const value = config[name];
  if (typeof value !== 'string' || value.trim() === '') throw problem(name, 'is missing');
  return value;
}

function certificate(config: Readonly<Record<string, string>>, name: ConfigKey): X509Certificate {
  const cert = readCertificate(required(config, name));
  if (!cert) throw problem(name, 'is not a readable PEM certificate');
  return cert;
}

function signingKey(pem: string): KeyObject {
  let key: KeyObject;
  try {
    key = privateKeyFromPem(pem);
  } catch {
    throw problem('sign_private_key_pem', 'is not a readable PEM private key');
  }
  if (key.asymmetricKeyType !== 'rsa') throw problem('sign_private_key_pem', 'must be an RSA key');
  if ((key.asymmetricKeyDetails?.modulusLength ?? 0) < RSA_MODULUS_BITS_MIN) {
    throw problem('sign_private_key_pem', `must be at least ${RSA_MODULUS_BITS_MIN} bits`);
  }
  return key;
}

function baseUrl(
  value: string | undefined,
  name: ConfigKey = 'gateway_base_url',
  fallback = DEFAULT_GATEWAY_BASE_URL,
): string {
  if (value === undefined || value.trim() === '') return fallback;
  const wrong = urlSettingProblem(value, { path: true });
  if (wrong) throw problem(name, wrong);
  const url = new URL(value);
  return `${url.origin}${url.pathname.replace(/\/+$/, '')}`;
}

function checkedUrl(value: string, name: ConfigKey): string {
  const wrong = urlSettingProblem(value, { path: true, query: true, fragment: true });
  if (wrong) throw problem(name, wrong);
  return value;
}

function parse(config: Readonly<Record<string, string>>): UnionpayConfig {
  const mer_id = required(config, 'mer_id');
  // ACP merchant numbers are 15 characters; letters appear in some test numbers.
  if (!/^[0-9A-Za-z]{15}$/.test(mer_id)) throw problem('mer_id', 'must be 15 letters or digits');
  const sign_private_key_pem = required(config, 'sign_private_key_pem');
  const key = signingKey(sign_private_key_pem);
  const sign_cert = certificate(config, 'sign_cert_pem');
  if (!keyMatchesCert(key, sign_cert))
    throw problem('sign_cert_pem', 'does not hold the public half of sign_private_key_pem');
  const root = certificate(config, 'root_cert_pem');
  const middle = certificate(config, 'middle_cert_pem');
  if (!(middle.checkIssued(root) && middle.verify(root.publicKey)))
    throw problem('middle_cert_pem', 'was not issued by root_cert_pem');
  if (!root.ca || !middle.ca) throw problem('root_cert_pem', 'and middle_cert_pem must be CA certificates');
  const signer_cn_name = config.signer_cn_name?.trim() ? config.signer_cn_name : DEFAULT_SIGNER_CN_NAME;
  if (signer_cn_name.includes('@')) throw problem('signer_cn_name', 'must not contain @');
  const encrypt_cert_pem = config.encrypt_cert_pem?.trim() ? config.encrypt_cert_pem : undefined;
  if (encrypt_cert_pem !== undefined && !readCertificate(encrypt_cert_pem))
    throw problem('encrypt_cert_pem', 'is not a readable PEM certificate');
  return {
    mer_id,
    sign_private_key_pem,
    sign_cert_pem: config.sign_cert_pem!,
    cert_id: certIdOf(sign_cert),
    anchors: { root, middle, signer_cn_name },
    gateway_base_url: baseUrl(config.gateway_base_url),
    ...(encrypt_cert_pem !== undefined ? { encrypt_cert_pem } : {}),
    user_auth_base_url: baseUrl(config.user_auth_base_url, 'user_auth_base_url', DEFAULT_USER_AUTH_BASE_URL),
    ...(config.wallet_bridge_url?.trim()
      ? { wallet_bridge_url: checkedUrl(config.wallet_bridge_url, 'wallet_bridge_url') }
      : {}),
  };
}

function digestOf(config: Readonly<Record<string, string>>): string {
  const hash = createHash('sha256');
  for (const name of CONFIG_KEYS) hash.update(`${name}\0${config[name] ?? ''}\0`);
  return hash.digest('hex');
}

/** Validates and types an account's settings; throws an Error naming the first bad key. */
export function parseUnionpayConfig(config: Readonly<Record<string, string>>): UnionpayConfig {
  const digest = digestOf(config);
  const hit = cache.get(digest);
  if (hit) return hit;
  const parsed = parse(config);
  if (cache.size >= CACHE_ENTRIES_MAX) {
    const oldest = cache.keys().next();
    if (!oldest.done) cache.delete(oldest.value);
  }
  cache.set(digest, parsed);
  return parsed;
}
