/**
 * Pay ways keep the vocabulary Chinese merchants know. Each maps to the channel that serves it;
 * QR_CASHIER and AUTO_BAR pick a channel per payer and map to none here.
 */
export const PAY_WAYS = {
  WX_NATIVE: 'wechat',
  WX_JSAPI: 'wechat',
  WX_LITE: 'wechat',
  WX_H5: 'wechat',
  WX_APP: 'wechat',
  WX_BAR: 'wechat',
  ALI_QR: 'alipay',
  ALI_BAR: 'alipay',
  ALI_JSAPI: 'alipay',
  ALI_WAP: 'alipay',
  ALI_PC: 'alipay',
  ALI_APP: 'alipay',
  UP_QR: 'unionpay',
  UP_BAR: 'unionpay',
  UP_JSAPI: 'unionpay',
  QR_CASHIER: null,
  AUTO_BAR: null,
} as const;

export type PayWay = keyof typeof PAY_WAYS;
export type ChannelName = 'wechat' | 'alipay' | 'unionpay';

export function isPayWay(value: string): value is PayWay {
  return Object.hasOwn(PAY_WAYS, value);
}

export function channelOfPayWay(way: PayWay): ChannelName | null {
  return PAY_WAYS[way];
}

/**
 * A payment code (付款码): the payer's wallet showed a code that the merchant scanned, and the
 * channel charges it as soon as the gateway's request arrives. Every other pay way makes an order
 * that the payer can only pay with what the gateway hands back (a QR code, a prepay id, a page).
 */
export function isPaymentCode(way: string): boolean {
  return way.endsWith('_BAR');
}
