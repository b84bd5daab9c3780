import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * How merchants sign requests to Paymux and how Paymux signs its responses and notifications.
 * docs/api/signing.md walks through a worked example that can be reproduced by hand.
 *
 * Request:  HMAC-SHA256(app_secret, METHOD\nPATH_WITH_QUERY\nTIMESTAMP\nNONCE\nBODY\n), lowercase hex,
 *           in `Paymux-Signature`, with `Paymux-App-Id`, `Paymux-Timestamp` (Unix seconds) and
 *           `Paymux-Nonce` (8 to 64 characters of [A-Za-z0-9_-]).
 * Response: HMAC-SHA256(app_secret, TIMESTAMP\nNONCE\nBODY\n) in the same three headers.
 * Webhook:  `Paymux-Signature: t=TIMESTAMP,v1=HEX[,v1=HEX]` over `TIMESTAMP.BODY`, one v1 per active
 *           app secret so a merchant can rotate secrets without missing a notification.
 */
export const HEADER_APP_ID = 'paymux-app-id';
export const HEADER_TIMESTAMP = 'paymux-timestamp';
export const HEADER_NONCE = 'paymux-nonce';
export const HEADER_SIGNATURE = 'paymux-signature';
export const SIGNATURE_TOLERANCE_S = 300;
export const NONCE_PATTERN = /^[A-Za-z0-9_-]{8,64}$/;

export function requestSigningString(
  method: string,
  path_with_query: string,
  timestamp: string,
  nonce: string,
  body: string,
): string {
  return `${method.toUpperCase()}\n${path_with_query}\n${timestamp}\n${nonce}\n${body}\n`;
}

export function responseSigningString(timestamp: string, nonce: string, body: string): string {
  return `${timestamp}\n${nonce}\n${body}\n`;
}

export function hmacHex(secret: string, message: string): string {
  return createHmac('sha256', secret).update(message, 'utf8').digest('hex');
}

/** Constant-time comparison of two hex signatures. */
export function signaturesEqual(expected_hex: string, given: string): boolean {
  if (given.length !== expected_hex.length) return false;
  return timingSafeEqual(Buffer.from(expected_hex, 'utf8'), Buffer.from(given, 'utf8'));
}

export function webhookSignatureHeader(secrets: readonly string[], timestamp: number, body: string): string {
  const parts = [`t=${timestamp}`];
  for (const secret of secrets) parts.push(`v1=${hmacHex(secret, `${timestamp}.${body}`)}`);
  return parts.join(',');
}

export type WebhookCheck =
  | { ok: true }
  | { ok: false; reason: 'malformed_header' | 'timestamp_skew' | 'no_matching_signature' };

/** What a merchant runs on each notification it receives (also in the SDK and docs). */
export function verifyWebhook(
  secret: string,
  header: string,
  body: string,
  now_s: number,
  tolerance_s = SIGNATURE_TOLERANCE_S,
): WebhookCheck {
  let timestamp: number | null = null;
  const signatures: string[] = [];
  for (const part of header.split(',')) {
    const eq = part.indexOf('=');
    if (eq <= 0) return { ok: false, reason: 'malformed_header' };
    const key = part.slice(0, eq).trim();
    const value = part.slice(eq + 1).trim();
    if (key === 't') timestamp = /^\d{1,12}$/.test(value) ? Number(value) : null;
    else if (key === 'v1') signatures.push(value);
  }
  if (timestamp === null || signatures.length === 0) return { ok: false, reason: 'malformed_header' };
  if (Math.abs(now_s - timestamp) > tolerance_s) return { ok: false, reason: 'timestamp_skew' };
  const expected = hmacHex(secret, `${timestamp}.${body}`);
  return signatures.some((s) => signaturesEqual(expected, s))
    ? { ok: true }
    : { ok: false, reason: 'no_matching_signature' };
}
