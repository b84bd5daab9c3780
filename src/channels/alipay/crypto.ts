import {
  createPrivateKey,
  createPublicKey,
  type KeyObject,
  sign,
  verify,
  X509Certificate,
} from 'node:crypto';

/**
 * Alipay's request and notification signatures (protocols.md §3.2, §3.6), pure functions over
 * node:crypto. No I/O, no clock. Nothing here logs, and no error message carries key material.
 *
 * RSA2 = SHA256withRSA (RSASSA-PKCS1-v1_5), signatures in standard base64. The legacy `RSA`
 * (SHA1withRSA) type is not offered: Alipay has not issued it to new apps for years.
 */

export const SIGN_TYPE = 'RSA2';

// ---------------------------------------------------------------------------------------------
// Keys: PEM, or the bare base64 the Alipay key tool and portal hand out

/** Parsed keys, keyed by their text. Bounded: accounts are few, so a full cache is simply reset. */
const KEY_CACHE_MAX = 256;
const privateKeys = new Map<string, KeyObject>();
const publicKeys = new Map<string, KeyObject>();

function cached(cache: Map<string, KeyObject>, text: string, parse: (text: string) => KeyObject): KeyObject {
  const hit = cache.get(text);
  if (hit) return hit;
  const key = parse(text);
  if (cache.size >= KEY_CACHE_MAX) cache.clear();
  cache.set(text, key);
  return key;
}

function bareBase64Der(text: string): Buffer | null {
  const compact = text.replace(/\s+/g, '');
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(compact)) return null;
  return Buffer.from(compact, 'base64');
}

/** A private key from PEM (PKCS#8 or PKCS#1) or bare base64 DER (PKCS#8 or PKCS#1). */
export function privateKeyOf(text: string): KeyObject {
  return cached(privateKeys, text, (t) => {
    try {
      if (t.includes('-----BEGIN')) return createPrivateKey({ key: t, format: 'pem' });
      const der = bareBase64Der(t);
      if (der) {
        try {
          return createPrivateKey({ key: der, format: 'der', type: 'pkcs8' });
        } catch {
          return createPrivateKey({ key: der, format: 'der', type: 'pkcs1' });
        }
      }
    } catch {
      // node's message is generic, but be sure nothing of the input reaches a log.
    }
    throw new Error('not a private key (PEM or base64 DER)');
  });
}

/** A public key from PEM (SPKI, PKCS#1 or an X.509 certificate) or bare base64 SPKI DER. */
export function publicKeyOf(text: string): KeyObject {
  return cached(publicKeys, text, (t) => {
    try {
      if (t.includes('-----BEGIN CERTIFICATE-----')) return new X509Certificate(t).publicKey;
      if (t.includes('-----BEGIN')) return createPublicKey({ key: t, format: 'pem' });
      const der = bareBase64Der(t);
      if (der) return createPublicKey({ key: der, format: 'der', type: 'spki' });
    } catch {
      // as above
    }
    throw new Error('not a public key (PEM, certificate or base64 DER)');
  });
}

export function publicKeyPemOf(key: KeyObject): string {
  return key.export({ type: 'spki', format: 'pem' }).toString();
}

// ---------------------------------------------------------------------------------------------
// The string that is signed

export type Params = Readonly<Record<string, string | undefined>>;

/**
 * `k=v&k=v` over the parameters sorted by key (ASCII order), leaving out `excluded` keys and empty
 * values, values raw (not URL-encoded), as Alipay's SDKs build it for requests and notifications.
 */
export function signContent(params: Params, excluded: readonly string[] = ['sign']): string {
  return Object.keys(params)
    .filter((key) => !excluded.includes(key) && params[key] !== undefined && params[key] !== '')
    .sort(compareAscii)
    .map((key) => `${key}=${params[key]}`)
    .join('&');
}

/** Code-unit order, which is byte order for the ASCII keys Alipay uses (`sort()` without locale). */
function compareAscii(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * Which fields a notification's signature leaves out (protocols.md §3.6):
 * - `trade`: `sign` and `sign_type` (Java rsaCheckV1; every `trade_status_sync`), vector A2;
 * - `gateway`: only `sign` (rsaCheckV2; some non-trade notifications), vector A3.
 */
export type NotifySignRule = 'trade' | 'gateway';

export function notifySignContent(form: Params, rule: NotifySignRule): string {
  return signContent(form, rule === 'trade' ? ['sign', 'sign_type'] : ['sign']);
}

// ---------------------------------------------------------------------------------------------
// SHA256withRSA

/**
 * Signs on the libuv thread pool (the callback form of crypto.sign): an RSA-2048 private-key
 * operation costs about a millisecond of CPU that would otherwise stall the event loop.
 */
export function signRsa2(content: string, private_key: string | KeyObject): Promise<string> {
  let key: KeyObject;
  try {
    key = typeof private_key === 'string' ? privateKeyOf(private_key) : private_key;
  } catch (error) {
    return Promise.reject(error);
  }
  return new Promise((resolve, reject) => {
    sign('sha256', Buffer.from(content, 'utf8'), key, (error, signature) => {
      if (error) reject(new Error('SHA256withRSA signing failed'));
      else resolve(signature.toString('base64'));
    });
  });
}

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
/** An RSA-4096 signature is 684 base64 characters; anything much longer is not a signature. */
const SIGNATURE_LENGTH_MAX = 1024;

/** True only for a well-formed base64 signature that verifies; public-key checks are cheap, so inline. */
export function verifyRsa2(
  content: string,
  signature_base64: string,
  public_key: string | KeyObject,
): boolean {
  if (signature_base64.length === 0 || signature_base64.length > SIGNATURE_LENGTH_MAX) return false;
  if (!BASE64.test(signature_base64)) return false;
  try {
    const key = typeof public_key === 'string' ? publicKeyOf(public_key) : public_key;
    return verify('sha256', Buffer.from(content, 'utf8'), key, Buffer.from(signature_base64, 'base64'));
  } catch {
    return false;
  }
}

/** Whether a notification form (or a request's parameters, with rule `gateway`) carries a valid RSA2 `sign`. */
export function verifyNotifySignature(
  form: Params,
  rule: NotifySignRule,
  public_key: string | KeyObject,
): boolean {
  const signature = form.sign;
  if (signature === undefined) return false;
  return verifyRsa2(notifySignContent(form, rule), signature, public_key);
}
