import type { WechatConfig } from './config.ts';
import { heldCertificates } from './platform-cert-store.ts';
import type { PlatformKey } from './verify.ts';

/**
 * Every key that may have signed a reply or notification for this account right now: the WeChat
 * Pay public key (when configured) and each held, unexpired platform certificate. Both at once is
 * the migration case; the verifier picks by Wechatpay-Serial.
 */
export function publicKeysOf(config: WechatConfig, now_ms: number): PlatformKey[] {
  const keys: PlatformKey[] = [];
  if (config.wechatpay_public_key_id !== undefined && config.wechatpay_public_key_pem !== undefined) {
    keys.push({ id: config.wechatpay_public_key_id, public_key_pem: config.wechatpay_public_key_pem });
  }
  for (const cert of heldCertificates(config, now_ms))
    keys.push({ id: cert.serial_no, public_key_pem: cert.certificate_pem });
  return keys;
}
