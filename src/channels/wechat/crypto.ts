import {
  createCipheriv,
  createDecipheriv,
  createHash,
  createHmac,
  createPrivateKey,
  createPublicKey,
  type KeyObject,
  sign,
  verify,
  X509Certificate,
} from 'node:crypto';

/**
 * WeChat Pay's cryptography, pure functions over node:crypto (protocols.md §1.2, §1.3, §1.5, §2.2).
 * No I/O, no clock: callers pass timestamps and nonces in. Nothing here logs, and no error message
 * carries key material or plaintext.
 */

// ---------------------------------------------------------------------------------------------
// APIv3 messages and the Authorization header

/** Scheme token of the APIv3 Authorization header: `WECHATPAY2-` + the algorithm name. */
export const AUTHORIZATION_SCHEME = 'WECHATPAY2-SHA256-RSA2048';

/** String to sign for a request: five lines, each ended by LF, the empty body included. */
export function requestMessage(
  method: string,
  canonical_url: string,
  timestamp: string,
  nonce: string,
  body: string,
): string {
  return `${method}\n${canonical_url}\n${timestamp}\n${nonce}\n${body}\n`;
}

/** String verified for a response or notification: three lines, each ended by LF. */
export function responseMessage(timestamp: string, nonce: string, body: string): string {
  return `${timestamp}\n${nonce}\n${body}\n`;
}

export interface AuthorizationPairs {
  mchid: string;
  nonce_str: string;
  timestamp: string;
  serial_no: string;
  signature: string;
}

const PAIR_NAMES = ['mchid', 'nonce_str', 'timestamp', 'serial_no', 'signature'] as const;
/** A real header is about 450 characters; the cap bounds parsing work on hostile input. */
const AUTHORIZATION_LENGTH_MAX = 4096;

/** The header value, pairs in the Go SDK's order (WeChat accepts any order). */
export function buildAuthorization(pairs: AuthorizationPairs, scheme: string = AUTHORIZATION_SCHEME): string {
  return `${scheme} ${PAIR_NAMES.map((name) => `${name}="${pairs[name]}"`).join(',')}`;
}

export interface ParsedAuthorization {
  scheme: string;
  pairs: AuthorizationPairs;
}

/**
 * Parses `SCHEME k="v",k="v",…`. Pair order is free; all five pairs are required, none may repeat,
 * unknown pairs are ignored. Returns null for anything else.
 */
export function parseAuthorization(header: string): ParsedAuthorization | null {
  if (header.length > AUTHORIZATION_LENGTH_MAX) return null;
  const space = header.indexOf(' ');
  if (space <= 0) return null;
  const scheme = header.slice(0, space);
  const rest = header.slice(space + 1);
  const found = new Map<string, string>();
  const pair = /\s*([A-Za-z_]+)="([^"]*)"\s*(,|$)/y;
  let guard = 0;
  while (pair.lastIndex < rest.length && guard++ < 32) {
    const m = pair.exec(rest);
    if (!m) return null;
    const name = m[1]!;
    if (found.has(name)) return null;
    found.set(name, m[2]!);
    if (m[3] === '') break;
  }
  if (pair.lastIndex !== rest.length) return null;
  const pairs: Partial<AuthorizationPairs> = {};
  for (const name of PAIR_NAMES) {
    const value = found.get(name);
    if (value === undefined) return null;
    pairs[name] = value;
  }
  return { scheme, pairs: pairs as AuthorizationPairs };
}

// ---------------------------------------------------------------------------------------------
// Keys: parsing a PEM costs far more than one signature, so each PEM is parsed once.

const KEY_CACHE_ENTRIES_MAX = 64;
const privateKeys = new Map<string, KeyObject>();
const publicKeys = new Map<string, KeyObject>();

function cachedKey(cache: Map<string, KeyObject>, pem: string, parse: (pem: string) => KeyObject): KeyObject {
  const hit = cache.get(pem);
  if (hit) return hit;
  const key = parse(pem);
  if (cache.size >= KEY_CACHE_ENTRIES_MAX) {
    // Oldest first: accounts in use are re-parsed at most once per eviction.
    const oldest = cache.keys().next();
    if (!oldest.done) cache.delete(oldest.value);
  }
  cache.set(pem, key);
  return key;
}

/** A PEM private key (PKCS#8 or PKCS#1) as a KeyObject, parsed once per distinct PEM. */
export function privateKeyFromPem(pem: string): KeyObject {
  return cachedKey(privateKeys, pem, (text) => {
    try {
      return createPrivateKey({ key: text, format: 'pem' });
    } catch {
      // node's message is generic, but be sure nothing of the input reaches a log.
      throw new Error('not a PEM private key');
    }
  });
}

/** A PEM public key (SPKI or PKCS#1) or X.509 certificate as a public KeyObject, parsed once. */
export function publicKeyFromPem(pem: string): KeyObject {
  return cachedKey(publicKeys, pem, (text) => {
    try {
      if (text.includes('-----BEGIN CERTIFICATE-----')) return new X509Certificate(text).publicKey;
      return createPublicKey({ key: text, format: 'pem' });
    } catch {
      throw new Error('not a PEM public key or certificate');
    }
  });
}

// ---------------------------------------------------------------------------------------------
// SHA256withRSA (RSASSA-PKCS1-v1_5 with SHA-256), signatures in standard base64

/**
 * Signs on the libuv thread pool: an RSA-2048 private-key operation takes about a millisecond of
 * CPU, which at payment volume would otherwise stall every other request on the event loop.
 */
export function signSha256Rsa(message: string, private_key_pem: string): Promise<string> {
  let key: KeyObject;
  try {
    key = privateKeyFromPem(private_key_pem);
  } catch (error) {
    return Promise.reject(error);
  }
  return new Promise((resolve, reject) => {
    sign('sha256', Buffer.from(message, 'utf8'), key, (error, signature) => {
      if (error) reject(new Error('SHA256withRSA signing failed'));
      else resolve(signature.toString('base64'));
    });
  });
}

/** The same signature computed on the calling thread; for tests and one-off tools. */
export function signSha256RsaSync(message: string, private_key_pem: string): string {
  return sign('sha256', Buffer.from(message, 'utf8'), privateKeyFromPem(private_key_pem)).toString('base64');
}

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

export function isStrictBase64(text: string): boolean {
  return BASE64.test(text);
}

/**
 * True only for a well-formed base64 signature that verifies. Public-key verification is cheap
 * (exponent 65537), so it runs inline.
 */
export function verifySha256Rsa(
  message: string,
  signature_base64: string,
  public_key: string | KeyObject,
): boolean {
  if (signature_base64.length === 0 || !isStrictBase64(signature_base64)) return false;
  try {
    const key = typeof public_key === 'string' ? publicKeyFromPem(public_key) : public_key;
    return verify('sha256', Buffer.from(message, 'utf8'), key, Buffer.from(signature_base64, 'base64'));
  } catch {
    return false;
  }
}

// ---------------------------------------------------------------------------------------------
// AEAD_AES_256_GCM: base64(ciphertext ‖ 16-byte tag), key/nonce/AAD used as their UTF-8 bytes

/** APIv3 keys are 32 ASCII characters, used directly as the AES-256 key. */
export const APIV3_KEY_BYTES = 32;
const GCM_TAG_BYTES = 16;
/** WeChat sends 12-byte nonces; GCM accepts other lengths (the axios vectors use 16). */
const GCM_NONCE_BYTES_MAX = 64;

export type GcmCipher = 'aes-128-gcm' | 'aes-192-gcm' | 'aes-256-gcm';
const GCM_KEY_BYTES: Readonly<Record<GcmCipher, number>> = {
  'aes-128-gcm': 16,
  'aes-192-gcm': 24,
  'aes-256-gcm': 32,
};

export type AeadFailure =
  | 'key_length'
  | 'nonce_length'
  | 'not_base64'
  | 'too_short'
  | 'authentication_failed';

export class AeadError extends Error {
  override name = 'AeadError';
  constructor(readonly reason: AeadFailure) {
    super(`AEAD decryption failed: ${reason}`);
  }
}

type Secret = string | Buffer;

function bytesOf(value: Secret): Buffer {
  return typeof value === 'string' ? Buffer.from(value, 'utf8') : value;
}

/**
 * Decrypts with an explicit cipher. Production code calls `aeadDecrypt` (AES-256 only); this form
 * exists for the conformance vectors whose 16-byte "APIv3 keys" are really AES-128.
 */
export function gcmDecrypt(
  cipher: GcmCipher,
  ciphertext_base64: string,
  key: Secret,
  nonce: string,
  associated_data: string,
): string {
  const key_bytes = bytesOf(key);
  if (key_bytes.length !== GCM_KEY_BYTES[cipher]) throw new AeadError('key_length');
  const iv = Buffer.from(nonce, 'utf8');
  if (iv.length === 0 || iv.length > GCM_NONCE_BYTES_MAX) throw new AeadError('nonce_length');
  if (!isStrictBase64(ciphertext_base64)) throw new AeadError('not_base64');
  const sealed = Buffer.from(ciphertext_base64, 'base64');
  if (sealed.length < GCM_TAG_BYTES) throw new AeadError('too_short');
  const decipher = createDecipheriv(cipher, key_bytes, iv, { authTagLength: GCM_TAG_BYTES });
  decipher.setAuthTag(sealed.subarray(sealed.length - GCM_TAG_BYTES));
  decipher.setAAD(Buffer.from(associated_data, 'utf8'));
  const head = decipher.update(sealed.subarray(0, sealed.length - GCM_TAG_BYTES));
  let tail: Buffer;
  try {
    // final() is where the tag is checked; without it any ciphertext would "decrypt".
    tail = decipher.final();
  } catch {
    throw new AeadError('authentication_failed');
  }
  return Buffer.concat([head, tail]).toString('utf8');
}

export function gcmEncrypt(
  cipher: GcmCipher,
  plaintext: string,
  key: Secret,
  nonce: string,
  associated_data: string,
): string {
  const key_bytes = bytesOf(key);
  if (key_bytes.length !== GCM_KEY_BYTES[cipher]) throw new AeadError('key_length');
  const iv = Buffer.from(nonce, 'utf8');
  if (iv.length === 0 || iv.length > GCM_NONCE_BYTES_MAX) throw new AeadError('nonce_length');
  const c = createCipheriv(cipher, key_bytes, iv, { authTagLength: GCM_TAG_BYTES });
  c.setAAD(Buffer.from(associated_data, 'utf8'));
  return Buffer.concat([c.update(plaintext, 'utf8'), c.final(), c.getAuthTag()]).toString('base64');
}

/** AEAD_AES_256_GCM decryption as production uses it: the key must be exactly 32 bytes. */
export function aeadDecrypt(
  ciphertext_base64: string,
  apiv3_key: Secret,
  nonce: string,
  associated_data: string,
): string {
  return gcmDecrypt('aes-256-gcm', ciphertext_base64, apiv3_key, nonce, associated_data);
}

/** AEAD_AES_256_GCM encryption (the simulator seals notifications with it). Never reuse a nonce. */
export function aeadEncrypt(
  plaintext: string,
  apiv3_key: Secret,
  nonce: string,
  associated_data: string,
): string {
  return gcmEncrypt('aes-256-gcm', plaintext, apiv3_key, nonce, associated_data);
}

// ---------------------------------------------------------------------------------------------
// APIv2 sign (for payment-code flows): sorted k=v&… + "&key=API_KEY", upper-case hex

export type V2SignType = 'MD5' | 'HMAC-SHA256';

/** `stringA`: every field but `sign`, empty values left out, keys in ASCII order, raw values. */
export function v2SignString(params: Readonly<Record<string, string | undefined>>): string {
  return Object.keys(params)
    .filter((name) => name !== 'sign' && params[name] !== undefined && params[name] !== '')
    .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
    .map((name) => `${name}=${params[name]}`)
    .join('&');
}

/** The v2 `sign`; for HMAC the `&key=…` suffix is inside the message too. */
export function v2Sign(
  params: Readonly<Record<string, string | undefined>>,
  api_key: string,
  type: V2SignType,
): string {
  const message = `${v2SignString(params)}&key=${api_key}`;
  const digest =
    type === 'MD5'
      ? createHash('md5').update(message, 'utf8').digest('hex')
      : createHmac('sha256', api_key).update(message, 'utf8').digest('hex');
  return digest.toUpperCase();
}
