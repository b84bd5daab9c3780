import { unixSeconds } from '../../domain/clock.ts';
import { alphanumericNonce } from '../../domain/random.ts';
import type { ChannelContext } from '../types.ts';
import type { WechatConfig } from './config.ts';
import { signSha256Rsa } from './crypto.ts';
import { clientAppid } from './merchant-ids.ts';

/**
 * The parameters the payer's client passes to WeChat to pay a prepay order (protocols.md §1.7),
 * signed with the merchant key like a request: JSAPI / mini-program `paySign` over
 * `appId\ntimeStamp\nnonceStr\npackage\n`, app `sign` over `appid\ntimestamp\nnoncestr\nprepayid\n`.
 */

/** WeixinJSBridge getBrandWCPayRequest / wx.requestPayment parameters. */
export async function jsapiPayParams(
  ctx: ChannelContext,
  config: WechatConfig,
  prepay_id: string,
): Promise<Record<string, string>> {
  const appId = clientAppid(config);
  const timeStamp = String(unixSeconds(ctx.clock));
  const nonceStr = alphanumericNonce(ctx.random, 32);
  const pkg = `prepay_id=${prepay_id}`;
  const paySign = await signSha256Rsa(
    `${appId}\n${timeStamp}\n${nonceStr}\n${pkg}\n`,
    config.merchant_private_key_pem,
  );
  return { appId, timeStamp, nonceStr, package: pkg, signType: 'RSA', paySign };
}

/** OpenSDK PayReq parameters; partnerid is the merchant that receives the money (sub_mchid for partners). */
export async function appPayParams(
  ctx: ChannelContext,
  config: WechatConfig,
  prepay_id: string,
): Promise<Record<string, string>> {
  const appid = clientAppid(config);
  const timestamp = String(unixSeconds(ctx.clock));
  const noncestr = alphanumericNonce(ctx.random, 32);
  const sign = await signSha256Rsa(
    `${appid}\n${timestamp}\n${noncestr}\n${prepay_id}\n`,
    config.merchant_private_key_pem,
  );
  return {
    appid,
    partnerid: config.mode === 'partner' ? config.sub_mchid! : config.mchid,
    prepayid: prepay_id,
    package: 'Sign=WXPay',
    noncestr,
    timestamp,
    sign,
  };
}
