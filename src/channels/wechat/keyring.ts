import { unixSeconds } from '../../domain/clock.ts';
import type { ChannelContext } from '../types.ts';
import type { WechatConfig } from './config.ts';
import { normalSerial, refreshIfDue } from './platform-certs.ts';
import { publicKeysOf } from './public-keys.ts';
import {
  HEADER_SERIAL,
  keyForSerial,
  type SignatureCheck,
  singleHeader,
  verifyWechatpaySignature,
} from './verify.ts';

/**
 * Verification with the right key (protocols.md §1.4): Wechatpay-Serial names either the public
 * key id (`PUB_KEY_ID_…`) or a platform certificate serial. A serial we do not hold yet, on an
 * account that can use certificates, fetches the current certificates (rate-limited) and looks
 * again; a public-key id we do not hold never triggers a download.
 */
const PUBLIC_KEY_ID_PREFIX = 'PUB_KEY_ID_';

type Headers = Readonly<Record<string, string | string[] | undefined>>;

export async function verifyFromWechat(
  ctx: ChannelContext,
  config: WechatConfig,
  headers: Headers,
  body: string,
): Promise<SignatureCheck> {
  let keys = publicKeysOf(config, ctx.clock.now_ms());
  const serial = singleHeader(headers, HEADER_SERIAL);
  if (
    serial !== undefined &&
    /^[0-9A-Fa-f]{1,64}$/.test(serial) &&
    !serial.toUpperCase().startsWith(PUBLIC_KEY_ID_PREFIX) &&
    !keyForSerial(keys, normalSerial(serial))
  ) {
    await refreshIfDue(ctx, config);
    keys = publicKeysOf(config, ctx.clock.now_ms());
  }
  // Certificate serials are stored without leading zeros; present the header the same way.
  const normalised =
    serial !== undefined && /^[0-9A-Fa-f]{1,64}$/.test(serial)
      ? { ...headers, [HEADER_SERIAL]: normalSerial(serial) }
      : headers;
  return verifyWechatpaySignature(normalised, body, keys, unixSeconds(ctx.clock));
}
