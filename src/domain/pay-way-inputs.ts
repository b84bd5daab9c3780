import { AppError } from './errors.ts';
import type { PayWay } from './pay-way.ts';
import { classifyPaymentCode } from './payment-code.ts';

/**
 * What each pay way needs from the merchant beyond amount and subject, checked before anything is
 * written or sent. An identity that is empty or a stringified nothing ("undefined", "null") is
 * refused here: an order with "undefined" as the payer is how gateways lose payments.
 */
export interface PayWayInputs {
  auth_code?: string;
  client_ip?: string;
  return_url?: string;
  payer?: {
    wechat_openid?: string;
    alipay_buyer_id?: string;
    alipay_open_id?: string;
    unionpay_user_auth_code?: string;
  };
}

const PLACEHOLDER_IDENTITY = /^(undefined|null|nil|none|\s*)$/i;

function identity(value: string | undefined, param: string): string | undefined {
  if (value === undefined) return undefined;
  if (PLACEHOLDER_IDENTITY.test(value)) {
    throw new AppError(
      'REQUEST_INVALID',
      `${param} is "${value}": send the real identity from the wallet's authorisation.`,
      param,
    );
  }
  return value;
}

/**
 * Resolves AUTO_BAR to the wallet of its code and checks the inputs of the pay way. Returns the
 * pay way the payment will be made with.
 */
export function checkPayWayInputs(way: PayWay, inputs: PayWayInputs): PayWay {
  const payer = inputs.payer ?? {};
  const wechat_openid = identity(payer.wechat_openid, 'payer.wechat_openid');
  const alipay_buyer_id = identity(payer.alipay_buyer_id, 'payer.alipay_buyer_id');
  const alipay_open_id = identity(payer.alipay_open_id, 'payer.alipay_open_id');
  const unionpay_code = identity(payer.unionpay_user_auth_code, 'payer.unionpay_user_auth_code');

  if (way === 'AUTO_BAR' || way.endsWith('_BAR')) {
    if (!inputs.auth_code)
      throw new AppError(
        'REQUEST_INVALID',
        'auth_code (the scanned payment code) is required for this pay_way.',
        'auth_code',
      );
    const wallet = classifyPaymentCode(inputs.auth_code);
    if (wallet === null) {
      throw new AppError(
        'PAYMENT_CODE_INVALID',
        'auth_code is not a payment code of WeChat Pay (18 digits from 10-15), Alipay (16-24 digits from 25-30) or UnionPay (19 digits from 62).',
        'auth_code',
      );
    }
    if (way !== 'AUTO_BAR' && wallet !== way) {
      throw new AppError(
        'PAYMENT_CODE_INVALID',
        `auth_code belongs to ${wallet}, not ${way}; use AUTO_BAR to accept any wallet.`,
        'auth_code',
      );
    }
    return wallet;
  }
  if ((way === 'WX_JSAPI' || way === 'WX_LITE') && !wechat_openid) {
    throw new AppError(
      'REQUEST_INVALID',
      `payer.wechat_openid is required for ${way}.`,
      'payer.wechat_openid',
    );
  }
  if (way === 'ALI_JSAPI' && (alipay_buyer_id === undefined) === (alipay_open_id === undefined)) {
    throw new AppError(
      'REQUEST_INVALID',
      'ALI_JSAPI takes exactly one of payer.alipay_buyer_id and payer.alipay_open_id.',
      'payer',
    );
  }
  if (way === 'UP_JSAPI' && !unionpay_code) {
    throw new AppError(
      'REQUEST_INVALID',
      'payer.unionpay_user_auth_code is required for UP_JSAPI.',
      'payer.unionpay_user_auth_code',
    );
  }
  if (way === 'WX_H5' && !inputs.client_ip) {
    throw new AppError(
      'REQUEST_INVALID',
      "client_ip (the payer's IP address) is required for WX_H5.",
      'client_ip',
    );
  }
  return way;
}
