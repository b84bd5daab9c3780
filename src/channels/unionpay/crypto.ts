import {
  createHash,
  createPrivateKey,
  createPublicKey,
  type KeyObject,
  sign,
  verify,
  type X509Certificate,
} from 'node:crypto';
import type { AcpFields } from './form.ts';

/**
 * ACP 5.1.0 signatures with signMethod 01 (protocols.md §4.1, vectors U1/U2): every field except
 * `signature`, empty values dropped, keys in ASCII order, `k=v` joined with `&`, raw values; then
 * the lowercase hex SHA-256 of that string; then SHA256withRSA over the 64 hex characters (not the
 * content, not the binary digest). Pure functions; nothing here logs or echoes key material.
 */

export const SIGNATURE_FIELD = 'signature';

/** The string whose hex digest is signed. */
export function signContent(fields: Readonly<Record<string, string | undefined>>): string {
  return Object.keys(fields)
    .filter((name) => name !== SIGNATURE_FIELD && fields[name] !== undefined && fields[name] !== '')
    .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
    .map((name) => `${name}=${fields[name]}`)
    .join('&');
}

export function sha256Hex(content: string): string {
  return createHash('sha256').update(content, 'utf8').digest('hex');
}

// Parsing a PEM costs far more than one signature, so each distinct PEM is parsed once.
const KEY_CACHE_ENTRIES_MAX = 64;
const private_keys = new Map<string, KeyObject>();

export function privateKeyFromPem(pem: string): KeyObject {
  const hit = private_keys.get(pem);
  if (hit) return hit;
  let key: KeyObject;
  try {
    key = createPrivateKey({ key: pem, format: 'pem' });
  } catch {
    // node's message is generic, but be sure nothing of the input reaches a log.
    throw new Error('not a PEM private key');
  }
  if (private_keys.size >= KEY_CACHE_ENTRIES_MAX) {
    const oldest = private_keys.keys().next();
    if (!oldest.done) private_keys.delete(oldest.value);
  }
  private_keys.set(pem, key);
  return key;
}

/**
 * The signature of `fields`, computed on the libuv thread pool: an RSA-2048 private-key operation
 * costs about a millisecond of CPU, which would otherwise stall the event loop at payment volume.
 */
export function signAcp(fields: Readonly<AcpFields>, private_key_pem: string): Promise<string> {
  let key: KeyObject;
  try {
    key = privateKeyFromPem(private_key_pem);
  } catch (error) {
    return Promise.reject(error);
  }
  const hex = Buffer.from(sha256Hex(signContent(fields)), 'utf8');
  return new Promise((resolve, reject) => {
    sign('sha256', hex, key, (error, signature) => {
      if (error) reject(new Error('ACP SHA256withRSA signing failed'));
      else resolve(signature.toString('base64'));
    });
  });
}

/** The same signature on the calling thread; for tests and one-off tools. */
export function signAcpSync(fields: Readonly<AcpFields>, private_key_pem: string): string {
  const hex = Buffer.from(sha256Hex(signContent(fields)), 'utf8');
  return sign('sha256', hex, privateKeyFromPem(private_key_pem)).toString('base64');
}

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
/** RSA-4096 signatures are 684 base64 characters; anything far longer is not one. */
const SIGNATURE_CHARS_MAX = 1024;

/** True only when `fields.signature` is well-formed base64 and verifies with `public_key`. */
export function verifyAcp(fields: Readonly<AcpFields>, public_key: KeyObject): boolean {
  const signature = fields[SIGNATURE_FIELD];
  if (signature === undefined || signature === '' || signature.length > SIGNATURE_CHARS_MAX) return false;
  if (!BASE64.test(signature)) return false;
  const hex = Buffer.from(sha256Hex(signContent(fields)), 'utf8');
  try {
    return verify('sha256', hex, public_key, Buffer.from(signature, 'base64'));
  } catch {
    return false;
  }
}

/** certId: the certificate's serial number written in decimal. */
export function certIdOf(cert: X509Certificate): string {
  return BigInt(`0x${cert.serialNumber}`).toString(10);
}

/** Whether a private key and a certificate hold the same key pair (compares public halves). */
export function keyMatchesCert(private_key: KeyObject, cert: X509Certificate): boolean {
  const ours = createPublicKey(private_key).export({ type: 'spki', format: 'der' });
  const theirs = cert.publicKey.export({ type: 'spki', format: 'der' });
  return ours.equals(theirs);
}
