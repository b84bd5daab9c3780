import type { PayWay } from '../../domain/pay-way.ts';
import type { ChannelContext, PayCredential, PaymentForChannel } from '../types.ts';
import { appPayParams, jsapiPayParams } from './client-params.ts';
import type { WechatConfig } from './config.ts';
import { payerOf, payIds, transactionsBase } from './merchant-ids.ts';
import { toRfc3339Beijing } from './time.ts';
import { isRecord } from './wire.ts';

/**
 * Prepay (统一下单) for every pay way that is not a payment code (protocols.md §1.7): one body
 * shape, one endpoint per trade type, and what the payer needs back — a QR content, an H5 URL, or
 * signed client parameters around the prepay_id.
 */
export type PrepayWay = 'WX_NATIVE' | 'WX_JSAPI' | 'WX_LITE' | 'WX_H5' | 'WX_APP';

const ENDPOINT: Readonly<Record<PrepayWay, string>> = {
  WX_NATIVE: 'native',
  // A mini-program pays through the same JSAPI order; only the appid differs (config).
  WX_JSAPI: 'jsapi',
  WX_LITE: 'jsapi',
  WX_H5: 'h5',
  WX_APP: 'app',
};

export function isPrepayWay(way: PayWay): way is PrepayWay {
  return Object.hasOwn(ENDPOINT, way);
}

const DESCRIPTION_CHARS_MAX = 127;

/** WeChat caps description at 127 characters; a longer subject would be refused outright. */
export function descriptionOf(subject: string): string {
  return [...subject].slice(0, DESCRIPTION_CHARS_MAX).join('');
}

export type PrepayPlan =
  | { kind: 'request'; path: string; body: Record<string, unknown> }
  /** Refused before sending: the request could only fail, and the reason is ours to say. */
  | { kind: 'refused'; channel_code: string; message: string };

export function prepayPlan(config: WechatConfig, way: PrepayWay, payment: PaymentForChannel): PrepayPlan {
  const body: Record<string, unknown> = {
    ...payIds(config),
    description: descriptionOf(payment.subject),
    out_trade_no: payment.id,
    time_expire: toRfc3339Beijing(payment.expires_at_ms),
    notify_url: payment.channel_notify_url,
    amount: { total: payment.amount_fen, currency: 'CNY' },
  };
  if (way === 'WX_JSAPI' || way === 'WX_LITE') {
    const openid = payment.payer?.wechat_openid;
    if (openid === undefined || openid === '') {
      return { kind: 'refused', channel_code: 'PAYER_REQUIRED', message: `${way} needs payer.wechat_openid` };
    }
    body.payer = payerOf(config, openid);
  }
  if (way === 'WX_H5') {
    // WeChat checks that the H5 payer's IP is the one that opens h5_url; without it the order fails there.
    if (payment.client_ip === undefined || payment.client_ip === '') {
      return {
        kind: 'refused',
        channel_code: 'CLIENT_IP_REQUIRED',
        message: 'WX_H5 needs the payer client_ip (scene_info.payer_client_ip)',
      };
    }
    body.scene_info = { payer_client_ip: payment.client_ip, h5_info: { type: 'Wap' } };
  } else if (payment.client_ip !== undefined) {
    body.scene_info = { payer_client_ip: payment.client_ip };
  }
  return { kind: 'request', path: `${transactionsBase(config)}/${ENDPOINT[way]}`, body };
}

function nonEmpty(value: unknown, name: string): string | null {
  if (!isRecord(value)) return null;
  const field = value[name];
  return typeof field === 'string' && field !== '' ? field : null;
}

/** The payer's credential from a verified 200 prepay reply, or null when the reply lacks it. */
export async function credentialOf(
  ctx: ChannelContext,
  config: WechatConfig,
  way: PrepayWay,
  payment: PaymentForChannel,
  reply: unknown,
): Promise<PayCredential | null> {
  switch (way) {
    case 'WX_NATIVE': {
      const code_url = nonEmpty(reply, 'code_url');
      return code_url === null ? null : { code_url };
    }
    case 'WX_H5': {
      const h5_url = nonEmpty(reply, 'h5_url');
      if (h5_url === null) return null;
      // WeChat returns the payer to redirect_url after the H5 cashier (it must be URL-encoded).
      const pay_url =
        payment.return_url === undefined
          ? h5_url
          : `${h5_url}${h5_url.includes('?') ? '&' : '?'}redirect_url=${encodeURIComponent(payment.return_url)}`;
      return { pay_url };
    }
    case 'WX_JSAPI':
    case 'WX_LITE': {
      const prepay_id = nonEmpty(reply, 'prepay_id');
      return prepay_id === null ? null : { jsapi_params: await jsapiPayParams(ctx, config, prepay_id) };
    }
    case 'WX_APP': {
      const prepay_id = nonEmpty(reply, 'prepay_id');
      return prepay_id === null ? null : { app_params: await appPayParams(ctx, config, prepay_id) };
    }
  }
}
