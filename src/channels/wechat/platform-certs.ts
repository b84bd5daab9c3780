import { X509Certificate } from 'node:crypto';
import { unixSeconds } from '../../domain/clock.ts';
import type { ChannelContext } from '../types.ts';
import type { WechatConfig } from './config.ts';
import { AeadError, aeadDecrypt } from './crypto.ts';
import { entryFor, type StoredCertificate, storeCertificates } from './platform-cert-store.ts';
import { publicKeysOf } from './public-keys.ts';
import { sendSigned } from './signed-request.ts';
import { parseRfc3339 } from './time.ts';
import { verifyWechatpaySignature } from './verify.ts';
import { isRecord, NOTIFICATION_ALGORITHM, parseJson, readErrorBody } from './wire.ts';

/**
 * Platform-certificate mode (protocols.md §1.4): GET /v3/certificates answers every current
 * platform certificate, each sealed with the account's APIv3 key. The AEAD tag is what makes a
 * certificate trustworthy — only WeChat and the merchant hold that key — so each one is decrypted
 * first, its serial checked against the one announced, and only then is the reply's own signature
 * checked, with the certificates just opened (how every SDK bootstraps).
 */
export type CertificateDownload =
  | { kind: 'downloaded'; certificates: StoredCertificate[] }
  /** RESOURCE_NOT_EXISTS: the merchant has no platform certificate (public-key-only merchants). */
  | { kind: 'not_available' }
  | { kind: 'unknown'; reason: string };

const CERTIFICATES_IN_REPLY_MAX = 16;

/** Hex serials with leading zeros dropped, upper case: node and WeChat pad differently. */
export function normalSerial(hex: string): string {
  return hex.toUpperCase().replace(/^0+(?=.)/, '');
}

function openCertificate(config: WechatConfig, item: unknown): StoredCertificate | string {
  if (!isRecord(item) || !isRecord(item.encrypt_certificate)) return 'entry is not a certificate';
  const { serial_no, expire_time, effective_time } = item;
  const sealed = item.encrypt_certificate;
  if (typeof serial_no !== 'string' || !/^[0-9A-Fa-f]{1,64}$/.test(serial_no)) return 'serial_no is not hex';
  if (sealed.algorithm !== NOTIFICATION_ALGORITHM)
    return 'encrypt_certificate.algorithm is not AEAD_AES_256_GCM';
  if (typeof sealed.ciphertext !== 'string' || typeof sealed.nonce !== 'string')
    return 'sealed fields missing';
  const aad = typeof sealed.associated_data === 'string' ? sealed.associated_data : '';
  let pem: string;
  try {
    pem = aeadDecrypt(sealed.ciphertext, config.apiv3_key, sealed.nonce, aad);
  } catch (error) {
    if (error instanceof AeadError) return `certificate cannot be decrypted (${error.reason})`;
    throw error;
  }
  let x509: X509Certificate;
  try {
    x509 = new X509Certificate(pem);
  } catch {
    return 'decrypted certificate is not X.509';
  }
  if (normalSerial(x509.serialNumber) !== normalSerial(serial_no))
    return 'certificate serial differs from serial_no';
  const valid_to_ms = Date.parse(x509.validTo);
  const announced_ms = typeof expire_time === 'string' ? parseRfc3339(expire_time) : null;
  // The earlier of the two: a reply must not stretch a certificate's life.
  const expire_at_ms = announced_ms === null ? valid_to_ms : Math.min(announced_ms, valid_to_ms);
  const effective_ms = typeof effective_time === 'string' ? parseRfc3339(effective_time) : null;
  return {
    serial_no: normalSerial(serial_no),
    certificate_pem: pem,
    effective_at_ms: effective_ms ?? Date.parse(x509.validFrom),
    expire_at_ms,
  };
}

async function download(ctx: ChannelContext, config: WechatConfig): Promise<CertificateDownload> {
  const reply = await sendSigned(ctx, config, 'GET', '/v3/certificates');
  if ('kind' in reply) return { kind: 'unknown', reason: reply.reason };
  const now_ms = ctx.clock.now_ms();
  const json = parseJson(reply.body);
  const opened: StoredCertificate[] = [];
  if (reply.status === 200) {
    if (!isRecord(json) || !Array.isArray(json.data))
      return { kind: 'unknown', reason: 'certificates reply has no data' };
    for (const item of json.data.slice(0, CERTIFICATES_IN_REPLY_MAX)) {
      const cert = openCertificate(config, item);
      if (typeof cert === 'string') return { kind: 'unknown', reason: `certificates reply refused: ${cert}` };
      opened.push(cert);
    }
  }
  const keys = [
    ...publicKeysOf(config, now_ms),
    ...opened.map((cert) => ({ id: cert.serial_no, public_key_pem: cert.certificate_pem })),
  ];
  const check = verifyWechatpaySignature(reply.headers, reply.body, keys, unixSeconds(ctx.clock));
  if (!check.ok) {
    return {
      kind: 'unknown',
      reason: `HTTP ${reply.status} reply not verified (${check.reason}): ${check.detail}`,
    };
  }
  if (reply.status === 200) {
    storeCertificates(config, now_ms, opened);
    return { kind: 'downloaded', certificates: opened };
  }
  if (reply.status === 404 && readErrorBody(json)?.code === 'RESOURCE_NOT_EXISTS')
    return { kind: 'not_available' };
  return { kind: 'unknown', reason: `certificates: HTTP ${reply.status}` };
}

/** Downloads now (one download per account at a time; concurrent callers share it). */
export function downloadPlatformCertificates(
  ctx: ChannelContext,
  config: WechatConfig,
): Promise<CertificateDownload> {
  const entry = entryFor(config);
  if (entry.in_flight) return entry.in_flight as Promise<CertificateDownload>;
  entry.last_refresh_ms = ctx.clock.now_ms();
  const running = download(ctx, config).finally(() => {
    entry.in_flight = null;
  });
  entry.in_flight = running;
  return running;
}

/**
 * An unknown serial in a reply triggers a download, at most once a minute per account: a forged
 * reply must not be able to make us hammer /v3/certificates.
 */
export const CERTIFICATE_REFRESH_INTERVAL_MS = 60_000;

export async function refreshIfDue(ctx: ChannelContext, config: WechatConfig): Promise<void> {
  const entry = entryFor(config);
  if (entry.in_flight) {
    await entry.in_flight;
    return;
  }
  const last = entry.last_refresh_ms;
  if (last !== null && ctx.clock.now_ms() - last < CERTIFICATE_REFRESH_INTERVAL_MS) return;
  await downloadPlatformCertificates(ctx, config);
}
