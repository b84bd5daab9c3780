import type { WechatConfig } from './config.ts';
import type { Transaction } from './wire.ts';

/**
 * Where direct-merchant and service-provider calls differ (protocols.md §1.7): the path prefix,
 * the names of the ids in bodies and queries, which openid names the payer, and which ids a reply
 * or notification must carry to be about this account. Everything else is shared.
 */

/** `/v3/pay/transactions` or `/v3/pay/partner/transactions`. */
export function transactionsBase(config: WechatConfig): string {
  return config.mode === 'partner' ? '/v3/pay/partner/transactions' : '/v3/pay/transactions';
}

/** The ids at the head of a prepay or code-pay body. */
export function payIds(config: WechatConfig): Record<string, string> {
  if (config.mode === 'direct') return { appid: config.appid, mchid: config.mchid };
  return {
    sp_appid: config.appid,
    sp_mchid: config.mchid,
    ...(config.sub_appid !== undefined ? { sub_appid: config.sub_appid } : {}),
    sub_mchid: config.sub_mchid!,
  };
}

/** The query string naming the merchant on query by out_trade_no / transaction_id. */
export function merchantQuery(config: WechatConfig): string {
  if (config.mode === 'direct') return `mchid=${encodeURIComponent(config.mchid)}`;
  return `sp_mchid=${encodeURIComponent(config.mchid)}&sub_mchid=${encodeURIComponent(config.sub_mchid!)}`;
}

/** The body of close (and the merchant part of reverse). */
export function closeIds(config: WechatConfig): Record<string, string> {
  if (config.mode === 'direct') return { mchid: config.mchid };
  return { sp_mchid: config.mchid, sub_mchid: config.sub_mchid! };
}

/** Partner refunds, refund queries and bills name the sub-merchant; direct ones name nobody. */
export function subMchidQuery(config: WechatConfig): string {
  return config.mode === 'partner' ? `sub_mchid=${encodeURIComponent(config.sub_mchid!)}` : '';
}

/** JSAPI payer: openid (direct), sub_openid when the sub-merchant has its own appid, else sp_openid. */
export function payerOf(config: WechatConfig, openid: string): Record<string, string> {
  if (config.mode === 'direct') return { openid };
  return config.sub_appid !== undefined ? { sub_openid: openid } : { sp_openid: openid };
}

/** The appid the payer's client runs under: what JSAPI / app pay parameters must name. */
export function clientAppid(config: WechatConfig): string {
  return config.mode === 'partner' && config.sub_appid !== undefined ? config.sub_appid : config.appid;
}

/** Null when the transaction is this account's; otherwise which id differs. */
export function foreignIdOf(config: WechatConfig, tx: Transaction): string | null {
  if (config.mode === 'direct') {
    if (tx.mchid !== config.mchid) return 'mchid';
    if (tx.appid !== config.appid) return 'appid';
    return null;
  }
  if (tx.sp_mchid !== config.mchid) return 'sp_mchid';
  if (tx.sub_mchid !== config.sub_mchid) return 'sub_mchid';
  if (tx.sp_appid !== undefined && tx.sp_appid !== config.appid) return 'sp_appid';
  if (config.sub_appid !== undefined && tx.sub_appid !== undefined && tx.sub_appid !== config.sub_appid)
    return 'sub_appid';
  return null;
}

/**
 * Refund notifications carry mchid (direct) or sp_mchid + sub_mchid (partner) and must name this
 * account (`required`); API replies may leave them out, but any id present must still match.
 */
export function foreignRefundIdOf(
  config: WechatConfig,
  ids: { mchid?: string; sp_mchid?: string; sub_mchid?: string },
  required: boolean,
): string | null {
  const expected: Array<[string, string | undefined, string]> =
    config.mode === 'direct'
      ? [['mchid', ids.mchid, config.mchid]]
      : [
          ['sp_mchid', ids.sp_mchid, config.mchid],
          ['sub_mchid', ids.sub_mchid, config.sub_mchid!],
        ];
  for (const [name, got, want] of expected) {
    if (got === undefined ? required : got !== want) return name;
  }
  return null;
}
