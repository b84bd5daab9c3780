import type { ChannelName } from './pay-way.ts';

/**
 * Which wallet app a page was opened in, from its User-Agent (protocols.md §5): WeChat adds
 * `MicroMessenger/`, Alipay `AlipayClient/`, Cloud QuickPass `UnionPay/` (as in
 * `(UnionPay/1.0 CloudPay)`). Anything else — a desktop browser, QQ, a bank app — is no wallet
 * we can pay in, and the cashier says so instead of guessing.
 */
export function walletOfUserAgent(user_agent: string | undefined): ChannelName | null {
  if (!user_agent) return null;
  if (/MicroMessenger\//i.test(user_agent)) return 'wechat';
  if (/AlipayClient\//i.test(user_agent)) return 'alipay';
  if (/UnionPay\//i.test(user_agent) || /CloudPay/i.test(user_agent)) return 'unionpay';
  return null;
}

/** The in-wallet pay way of each wallet: what the cashier pays with once it knows the payer. */
export const IN_WALLET_PAY_WAY = {
  wechat: 'WX_JSAPI',
  alipay: 'ALI_JSAPI',
  unionpay: 'UP_JSAPI',
} as const satisfies Record<ChannelName, string>;
