import { AUTHORIZATION_SCHEME, responseMessage, verifySha256Rsa } from './crypto.ts';

/**
 * Whether a reply or notification really comes from WeChat Pay (protocols.md §1.3): the
 * Wechatpay-Serial names a key we hold, the timestamp is fresh, and the signature over
 * `TIMESTAMP\nNONCE\nBODY\n` verifies with that key. Only then may anything in the body be read.
 */

/** The Go SDK rule: refuse when |now - Wechatpay-Timestamp| >= 300 s. */
export const TIMESTAMP_TOLERANCE_S = 300;
/** WeChat's probe traffic carries signatures with this prefix; accepting one means we do not verify. */
export const SIGNTEST_PREFIX = 'WECHATPAY/SIGNTEST/';

export const HEADER_TIMESTAMP = 'wechatpay-timestamp';
export const HEADER_NONCE = 'wechatpay-nonce';
export const HEADER_SIGNATURE = 'wechatpay-signature';
export const HEADER_SERIAL = 'wechatpay-serial';
export const HEADER_SIGNATURE_TYPE = 'wechatpay-signature-type';

export interface PlatformKey {
  /** The serial or public-key id WeChat writes in Wechatpay-Serial. */
  id: string;
  /** A PEM public key or certificate. */
  public_key_pem: string;
}

/** The key named by a Wechatpay-Serial among those held; serials compare without regard to case. */
export function keyForSerial(keys: readonly PlatformKey[], serial: string): PlatformKey | undefined {
  const wanted = serial.toUpperCase();
  return keys.find((key) => key.id.toUpperCase() === wanted);
}

export type SignatureFailure =
  | 'missing_header'
  | 'unsupported_signature_type'
  | 'unknown_serial'
  | 'bad_timestamp'
  | 'timestamp_skew'
  | 'signtest_probe'
  | 'bad_signature';

export type SignatureCheck = { ok: true } | { ok: false; reason: SignatureFailure; detail: string };

type HeaderBag = Readonly<Record<string, string | string[] | undefined>>;

/** One header's value; a header sent twice is as good as absent. Names are lower case. */
export function singleHeader(headers: HeaderBag, name: string): string | undefined {
  const value = headers[name];
  if (Array.isArray(value)) return value.length === 1 ? value[0] : undefined;
  return value;
}

export function verifyWechatpaySignature(
  headers: HeaderBag,
  body: string,
  key: PlatformKey | readonly PlatformKey[],
  now_s: number,
): SignatureCheck {
  const timestamp = singleHeader(headers, HEADER_TIMESTAMP);
  const nonce = singleHeader(headers, HEADER_NONCE);
  const signature = singleHeader(headers, HEADER_SIGNATURE);
  const serial = singleHeader(headers, HEADER_SERIAL);
  for (const [name, value] of [
    [HEADER_TIMESTAMP, timestamp],
    [HEADER_NONCE, nonce],
    [HEADER_SIGNATURE, signature],
    [HEADER_SERIAL, serial],
  ] as const) {
    if (value === undefined || value === '')
      return { ok: false, reason: 'missing_header', detail: `no ${name} header` };
  }
  // Absent means the default algorithm (as the Go SDK assumes); anything else we cannot check.
  const type = singleHeader(headers, HEADER_SIGNATURE_TYPE);
  if (type !== undefined && type !== AUTHORIZATION_SCHEME) {
    return {
      ok: false,
      reason: 'unsupported_signature_type',
      detail: 'unsupported Wechatpay-Signature-Type',
    };
  }
  // Serials are hex in some samples upper case and in others lower case.
  const chosen = keyForSerial(Array.isArray(key) ? key : [key as PlatformKey], serial!);
  if (!chosen) {
    return {
      ok: false,
      reason: 'unknown_serial',
      detail: 'Wechatpay-Serial names no key configured for this account',
    };
  }
  if (!/^\d{1,12}$/.test(timestamp!))
    return { ok: false, reason: 'bad_timestamp', detail: 'Wechatpay-Timestamp is not Unix seconds' };
  if (Math.abs(now_s - Number(timestamp)) >= TIMESTAMP_TOLERANCE_S) {
    return {
      ok: false,
      reason: 'timestamp_skew',
      detail: `Wechatpay-Timestamp is ${TIMESTAMP_TOLERANCE_S} s or more from our clock`,
    };
  }
  if (signature!.startsWith(SIGNTEST_PREFIX)) {
    return { ok: false, reason: 'signtest_probe', detail: 'signature probe (WECHATPAY/SIGNTEST/) refused' };
  }
  if (!verifySha256Rsa(responseMessage(timestamp!, nonce!, body), signature!, chosen.public_key_pem)) {
    return { ok: false, reason: 'bad_signature', detail: 'Wechatpay-Signature does not verify' };
  }
  return { ok: true };
}
