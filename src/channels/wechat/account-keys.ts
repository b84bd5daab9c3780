import type { Clock } from '../../domain/clock.ts';
import type { ChannelAccount, ChannelContext } from '../types.ts';
import { parseWechatConfig } from './config.ts';
import {
  certificatesExpiringWithin,
  heldCertificates,
  type StoredCertificate,
} from './platform-cert-store.ts';
import { type CertificateDownload, downloadPlatformCertificates } from './platform-certs.ts';

/**
 * The platform-certificate operations an operator (or a scheduled job) runs per account, outside
 * the payment calls: download now, see what is held, and find what expires soon so that a
 * missed rotation is noticed days ahead rather than when verification starts failing.
 */
export interface CertificateSummary {
  serial_no: string;
  effective_at_ms: number;
  expire_at_ms: number;
}

function summary(cert: StoredCertificate): CertificateSummary {
  return {
    serial_no: cert.serial_no,
    effective_at_ms: cert.effective_at_ms,
    expire_at_ms: cert.expire_at_ms,
  };
}

export async function downloadWechatPlatformCertificates(
  ctx: ChannelContext,
  account: ChannelAccount,
): Promise<
  | { kind: 'downloaded'; certificates: CertificateSummary[] }
  | Exclude<CertificateDownload, { kind: 'downloaded' }>
> {
  const result = await downloadPlatformCertificates(ctx, parseWechatConfig(account.config));
  return result.kind === 'downloaded'
    ? { kind: 'downloaded', certificates: result.certificates.map(summary) }
    : result;
}

export function heldWechatCertificates(account: ChannelAccount, clock: Clock): CertificateSummary[] {
  return heldCertificates(parseWechatConfig(account.config), clock.now_ms()).map(summary);
}

/** Held certificates that expire within `days` of the clock's now. */
export function wechatCertificatesExpiringWithin(
  account: ChannelAccount,
  clock: Clock,
  days: number,
): CertificateSummary[] {
  return certificatesExpiringWithin(parseWechatConfig(account.config), clock.now_ms(), days).map(summary);
}
