import { checkSignerCert, type TrustAnchors } from './cert-chain.ts';
import { SIGN_METHOD_RSA } from './constants.ts';
import { SIGNATURE_FIELD, verifyAcp } from './crypto.ts';
import type { AcpFields } from './form.ts';

/**
 * Whether a reply or notification really comes from UnionPay: signMethod 01, a signPubKeyCert
 * that chains to our anchors and names UnionPay (cert-chain.ts), and a signature over every other
 * field — the certificate included, with its line endings as received — that verifies with it.
 * Only then may anything in the message be read.
 */
export const SIGN_PUB_KEY_CERT_FIELD = 'signPubKeyCert';

export type VerifyFailure = 'unsigned' | 'unsupported_sign_method' | 'untrusted_cert' | 'bad_signature';

export type VerifyResult = { ok: true } | { ok: false; reason: VerifyFailure; detail: string };

export function verifyUnionpayMessage(
  fields: Readonly<AcpFields>,
  anchors: TrustAnchors,
  now_ms: number,
): VerifyResult {
  const cert_pem = fields[SIGN_PUB_KEY_CERT_FIELD];
  if (fields[SIGNATURE_FIELD] === undefined || fields[SIGNATURE_FIELD] === '' || !cert_pem) {
    return { ok: false, reason: 'unsigned', detail: 'no signature or signPubKeyCert' };
  }
  if (fields.signMethod !== SIGN_METHOD_RSA) {
    return { ok: false, reason: 'unsupported_sign_method', detail: 'signMethod is not 01' };
  }
  const cert = checkSignerCert(cert_pem, anchors, now_ms);
  if (!cert.ok) return { ok: false, reason: 'untrusted_cert', detail: `${cert.reason}: ${cert.detail}` };
  if (!verifyAcp(fields, cert.public_key)) {
    return { ok: false, reason: 'bad_signature', detail: 'signature does not verify' };
  }
  return { ok: true };
}
