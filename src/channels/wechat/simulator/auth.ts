import { AUTHORIZATION_SCHEME, parseAuthorization, requestMessage, verifySha256Rsa } from '../crypto.ts';
import { TIMESTAMP_TOLERANCE_S } from '../verify.ts';
import type { MerchantBook, SimMerchant } from './merchants.ts';

/**
 * How WeChat Pay authenticates an APIv3 request (protocols.md §1.2): the Authorization header
 * names a known merchant and that merchant's certificate serial, its timestamp is fresh, and its
 * signature over `METHOD\nURL\nTIMESTAMP\nNONCE\nBODY\n` verifies with the merchant's public key.
 * Every failure is a 401 SIGN_ERROR; `issue` says which check failed, to help whoever debugs a
 * client against the simulator (the real service is terser).
 */
export type AuthResult = { ok: true; merchant: SimMerchant } | { ok: false; issue: string };

export interface SignedRequest {
  authorization: string | undefined;
  method: string;
  /** Path and query exactly as sent. */
  canonical_url: string;
  body: string;
}

export function authenticate(request: SignedRequest, merchants: MerchantBook, now_s: number): AuthResult {
  if (request.authorization === undefined || request.authorization === '') {
    return { ok: false, issue: 'Authorization header missing' };
  }
  const parsed = parseAuthorization(request.authorization);
  if (!parsed) return { ok: false, issue: 'Authorization header malformed' };
  if (parsed.scheme !== AUTHORIZATION_SCHEME) return { ok: false, issue: 'unsupported authorization scheme' };
  const { mchid, nonce_str, timestamp, serial_no, signature } = parsed.pairs;
  const merchant = merchants.get(mchid);
  if (!merchant) return { ok: false, issue: 'unknown mchid' };
  if (serial_no.toUpperCase() !== merchant.merchant_serial_no.toUpperCase()) {
    return { ok: false, issue: 'serial_no is not the merchant certificate serial' };
  }
  if (!/^\d{1,12}$/.test(timestamp)) return { ok: false, issue: 'timestamp is not Unix seconds' };
  if (Math.abs(now_s - Number(timestamp)) >= TIMESTAMP_TOLERANCE_S) {
    return { ok: false, issue: `timestamp is ${TIMESTAMP_TOLERANCE_S} s or more from the server clock` };
  }
  if (nonce_str === '' || nonce_str.length > 64)
    return { ok: false, issue: 'nonce_str must be 1 to 64 characters' };
  const message = requestMessage(request.method, request.canonical_url, timestamp, nonce_str, request.body);
  if (!verifySha256Rsa(message, signature, merchant.merchant_public_key_pem)) {
    return { ok: false, issue: 'signature does not verify' };
  }
  return { ok: true, merchant };
}
