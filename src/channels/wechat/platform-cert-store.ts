import { createHash } from 'node:crypto';
import type { WechatConfig } from './config.ts';

/**
 * The platform certificates downloaded for each account (protocols.md §1.4), kept in memory by
 * serial. Several at once: WeChat publishes the next certificate before retiring the current one,
 * and replies may be signed by either. A certificate past its expiry is never offered for
 * verification. Bounded per account and in accounts; the least recently stored account goes first.
 */
export interface StoredCertificate {
  /** Upper-case hex, as compared with Wechatpay-Serial. */
  serial_no: string;
  certificate_pem: string;
  effective_at_ms: number;
  expire_at_ms: number;
}

export const CERTIFICATES_PER_ACCOUNT_MAX = 16;
const ACCOUNTS_MAX = 1024;

interface Entry {
  certificates: Map<string, StoredCertificate>;
  last_refresh_ms: number | null;
  in_flight: Promise<unknown> | null;
}

const entries = new Map<string, Entry>();

/**
 * Certificates are account-bound through the APIv3 key that decrypted them, so the store key
 * includes a digest of that key (never the key itself): two configs with the same mchid but
 * another key do not share certificates.
 */
export function storeKeyOf(config: WechatConfig): string {
  let key = store_keys.get(config);
  if (key === undefined) {
    const key_digest = createHash('sha256').update(config.apiv3_key).digest('hex').slice(0, 16);
    key = `${config.api_base_url} ${config.mchid} ${key_digest}`;
    store_keys.set(config, key);
  }
  return key;
}

/**
 * Every verification asks for the store key; a loaded account's config is one object that is
 * never changed in place (an edited account is loaded anew), so its key is computed once.
 */
const store_keys = new WeakMap<WechatConfig, string>();

export function entryFor(config: WechatConfig): Entry {
  const key = storeKeyOf(config);
  let entry = entries.get(key);
  if (!entry) {
    if (entries.size >= ACCOUNTS_MAX) {
      const oldest = entries.keys().next();
      if (!oldest.done) entries.delete(oldest.value);
    }
    entry = { certificates: new Map(), last_refresh_ms: null, in_flight: null };
    entries.set(key, entry);
  }
  return entry;
}

/** Adds (or replaces by serial) certificates; expired ones and the oldest past the cap are dropped. */
export function storeCertificates(
  config: WechatConfig,
  now_ms: number,
  fresh: readonly StoredCertificate[],
): void {
  const entry = entryFor(config);
  for (const cert of fresh) entry.certificates.set(cert.serial_no, cert);
  for (const [serial, cert] of entry.certificates)
    if (cert.expire_at_ms <= now_ms) entry.certificates.delete(serial);
  const by_expiry = [...entry.certificates.values()].sort((a, b) => b.expire_at_ms - a.expire_at_ms);
  for (const extra of by_expiry.slice(CERTIFICATES_PER_ACCOUNT_MAX))
    entry.certificates.delete(extra.serial_no);
}

/** The certificates usable now (not expired), newest expiry first. */
export function heldCertificates(config: WechatConfig, now_ms: number): StoredCertificate[] {
  const entry = entries.get(storeKeyOf(config));
  if (!entry) return [];
  return [...entry.certificates.values()]
    .filter((cert) => cert.expire_at_ms > now_ms)
    .sort((a, b) => b.expire_at_ms - a.expire_at_ms);
}

const DAY_MS = 86_400_000;

/**
 * The held certificates that expire within `days` of `now_ms` (and have not yet): what an operator
 * must be warned about ahead of time, so that a missed rotation does not stop payments.
 */
export function certificatesExpiringWithin(
  config: WechatConfig,
  now_ms: number,
  days: number,
): StoredCertificate[] {
  if (!(Number.isFinite(days) && days >= 0)) throw new RangeError('days must be a non-negative number');
  return heldCertificates(config, now_ms).filter((cert) => cert.expire_at_ms - now_ms <= days * DAY_MS);
}

/** Empties the store (tests; an operator rotating the APIv3 key). */
export function forgetPlatformCertificates(): void {
  entries.clear();
}
