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
  /** The APIv2 key: present, the merchant may use the XML micropay and reverse. */
  api_v2_key?: string;
  /**
   * Which key WeChat signs this merchant's replies and notifications with: the public key
   * (`PUB_KEY_ID_…`, no platform certificate: /v3/certificates answers 404), the newest platform
   * certificate, or — while migrating — the public key, with certificates still downloadable.
   */
  key_mode: SimKeyMode;
  /** A service provider's sub-merchants; empty for a direct merchant. */
  sub_merchants: SimSubMerchant[];
  /** The AppSecret of `appid` (web-page OAuth); absent: code exchanges for it answer 40125. */
  app_secret?: string;
}

export type SimKeyMode = 'public_key' | 'certificate' | 'migrating';
export const SIM_KEY_MODES: readonly SimKeyMode[] = ['public_key', 'certificate', 'migrating'];

export interface SimSubMerchant {
  sub_mchid: string;
  /** The sub-merchant's own appid, when it has one (payers are then sub_openid). */
  sub_appid?: string;
  /** The AppSecret of sub_appid (web-page OAuth under the sub-merchant's own app). */
  sub_app_secret?: string;
}

const SUB_MERCHANTS_MAX = 100;

export const MERCHANTS_MAX = 1000;

const APP_SECRET = /^[\x21-\x7e]{1,128}$/;

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
  const api_v2_key = value.api_v2_key;
  if (api_v2_key !== undefined && (typeof api_v2_key !== 'string' || !/^[\x21-\x7e]{32}$/.test(api_v2_key)))
    throw new Error('merchant.api_v2_key must be 32 printable ASCII characters');
  const app_secret = value.app_secret;
  if (app_secret !== undefined && (typeof app_secret !== 'string' || !APP_SECRET.test(app_secret)))
    throw new Error('merchant.app_secret must be 1 to 128 printable ASCII characters');
  const key_mode = value.key_mode ?? 'public_key';
  if (!SIM_KEY_MODES.includes(key_mode as SimKeyMode))
    throw new Error(`merchant.key_mode must be one of ${SIM_KEY_MODES.join(', ')}`);
  return {
    mchid: m.mchid,
    appid: m.appid,
    merchant_serial_no: m.merchant_serial_no,
    merchant_public_key_pem: m.merchant_public_key_pem,
    apiv3_key: m.apiv3_key,
    ...(api_v2_key !== undefined ? { api_v2_key: api_v2_key as string } : {}),
    key_mode: key_mode as SimKeyMode,
    sub_merchants: checkSubMerchants(value.sub_merchants, m.mchid),
    ...(app_secret !== undefined ? { app_secret: app_secret as string } : {}),
  };
}

function checkSubMerchants(value: unknown, mchid: string): SimSubMerchant[] {
  if (value === undefined) return [];
  if (!Array.isArray(value) || value.length > SUB_MERCHANTS_MAX)
    throw new Error(`merchant.sub_merchants must be a list of at most ${SUB_MERCHANTS_MAX}`);
  return value.map((item: unknown) => {
    if (!isRecord(item) || typeof item.sub_mchid !== 'string' || !/^\d{1,32}$/.test(item.sub_mchid))
      throw new Error('merchant.sub_merchants[].sub_mchid must be digits');
    if (item.sub_mchid === mchid) throw new Error('a sub-merchant cannot be the service provider itself');
    if (
      item.sub_appid !== undefined &&
      (typeof item.sub_appid !== 'string' || !/^[A-Za-z0-9_]{1,32}$/.test(item.sub_appid))
    )
      throw new Error('merchant.sub_merchants[].sub_appid must be 1 to 32 letters, digits or _');
    if (
      item.sub_app_secret !== undefined &&
      (typeof item.sub_app_secret !== 'string' ||
        !APP_SECRET.test(item.sub_app_secret) ||
        typeof item.sub_appid !== 'string')
    )
      throw new Error('merchant.sub_merchants[].sub_app_secret must be printable ASCII, with a sub_appid');
    return {
      sub_mchid: item.sub_mchid,
      ...(typeof item.sub_appid === 'string' ? { sub_appid: item.sub_appid } : {}),
      ...(typeof item.sub_app_secret === 'string' ? { sub_app_secret: item.sub_app_secret } : {}),
    };
  });
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

  /**
   * An app as WeChat's open platform knows it: whether the appid is bound to a registered merchant
   * (its appid or a sub-merchant's sub_appid), and its AppSecret when one was registered.
   */
  app(appid: string): { known: boolean; secret?: string } {
    let known = false;
    for (const merchant of this.merchants.values()) {
      if (merchant.appid === appid) {
        if (merchant.app_secret !== undefined) return { known: true, secret: merchant.app_secret };
        known = true;
      }
      for (const sub of merchant.sub_merchants) {
        if (sub.sub_appid !== appid) continue;
        if (sub.sub_app_secret !== undefined) return { known: true, secret: sub.sub_app_secret };
        known = true;
      }
    }
    return { known };
  }

  /** Switches which key WeChat signs with for this merchant (a migration step); false if unknown. */
  setKeyMode(mchid: string, key_mode: SimKeyMode): boolean {
    const merchant = this.merchants.get(mchid);
    if (!merchant) return false;
    merchant.key_mode = key_mode;
    return true;
  }
}
