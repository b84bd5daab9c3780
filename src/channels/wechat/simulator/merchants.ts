import { isApiv3Key } from '../config.ts';
import { APIV3_KEY_BYTES, publicKeyFromPem } from '../crypto.ts';
import { isRecord } from '../wire.ts';

/**
 * The merchants the simulated WeChat Pay knows: what the real one learns when a merchant signs up
 * and uploads its API certificate. Requests are authenticated against this book.
 */
export interface SimMerchant {
  mchid: string;
  /** The one appid bound to this mchid (real merchants can bind several; one is enough here). */
  appid: string;
  merchant_serial_no: string;
  merchant_public_key_pem: string;
  apiv3_key: string;
}

export const MERCHANTS_MAX = 1000;

const FIELDS = ['mchid', 'appid', 'merchant_serial_no', 'merchant_public_key_pem', 'apiv3_key'] as const;

/** Checks a registration; throws an Error naming the bad field (never its value). */
export function checkSimMerchant(value: unknown): SimMerchant {
  if (!isRecord(value)) throw new Error('merchant must be a JSON object');
  for (const name of FIELDS) {
    if (typeof value[name] !== 'string' || value[name] === '')
      throw new Error(`merchant.${name} must be a non-empty string`);
  }
  const m = value as Record<(typeof FIELDS)[number], string>;
  if (!/^\d{1,32}$/.test(m.mchid)) throw new Error('merchant.mchid must be digits');
  if (!/^[A-Za-z0-9_]{1,32}$/.test(m.appid))
    throw new Error('merchant.appid must be 1 to 32 letters, digits or _');
  if (!/^[0-9A-Fa-f]{8,64}$/.test(m.merchant_serial_no))
    throw new Error('merchant.merchant_serial_no must be hexadecimal');
  if (!isApiv3Key(m.apiv3_key)) {
    throw new Error(`merchant.apiv3_key must be exactly ${APIV3_KEY_BYTES} bytes of printable ASCII`);
  }
  try {
    publicKeyFromPem(m.merchant_public_key_pem);
  } catch {
    throw new Error('merchant.merchant_public_key_pem is not a PEM public key or certificate');
  }
  return {
    mchid: m.mchid,
    appid: m.appid,
    merchant_serial_no: m.merchant_serial_no,
    merchant_public_key_pem: m.merchant_public_key_pem,
    apiv3_key: m.apiv3_key,
  };
}

export class MerchantBook {
  private readonly merchants = new Map<string, SimMerchant>();

  /** Adds or replaces (key rotation) a merchant. */
  register(value: unknown): SimMerchant {
    const merchant = checkSimMerchant(value);
    if (!this.merchants.has(merchant.mchid) && this.merchants.size >= MERCHANTS_MAX) {
      throw new Error(`the simulator holds at most ${MERCHANTS_MAX} merchants`);
    }
    this.merchants.set(merchant.mchid, merchant);
    return merchant;
  }

  get(mchid: string): SimMerchant | undefined {
    return this.merchants.get(mchid);
  }
}
