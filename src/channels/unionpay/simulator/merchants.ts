import type { KeyObject } from 'node:crypto';
import { readCertificate } from '../cert-chain.ts';
import { certIdOf } from '../crypto.ts';

/**
 * The merchants the simulated UnionPay knows: what the real one learns when a merchant signs up
 * and registers its signing certificate. Requests are authenticated against this book: certId
 * names the certificate, its public key checks the signature.
 */
export interface SimMerchant {
  mer_id: string;
  cert_id: string;
  public_key: KeyObject;
}

export const MERCHANTS_MAX = 1000;

/** Checks a registration `{mer_id, cert_pem}`; throws an Error naming the bad field. */
export function checkSimMerchant(value: unknown): SimMerchant {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new Error('merchant must be a JSON object');
  const { mer_id, cert_pem } = value as Record<string, unknown>;
  if (typeof mer_id !== 'string' || !/^[0-9A-Za-z]{15}$/.test(mer_id))
    throw new Error('merchant.mer_id must be 15 letters or digits');
  const cert = typeof cert_pem === 'string' ? readCertificate(cert_pem) : null;
  if (!cert) throw new Error('merchant.cert_pem must be a PEM certificate');
  return { mer_id, cert_id: certIdOf(cert), public_key: cert.publicKey };
}

export class MerchantBook {
  private readonly merchants = new Map<string, SimMerchant>();

  /** Adds or replaces (certificate renewal) a merchant. */
  register(value: unknown): SimMerchant {
    const merchant = checkSimMerchant(value);
    if (!this.merchants.has(merchant.mer_id) && this.merchants.size >= MERCHANTS_MAX) {
      throw new Error(`the simulator holds at most ${MERCHANTS_MAX} merchants`);
    }
    this.merchants.set(merchant.mer_id, merchant);
    return merchant;
  }

  get(mer_id: string): SimMerchant | undefined {
    return this.merchants.get(mer_id);
  }
}
