import { isIP } from 'node:net';
import { classifyPaymentCode } from '../../../domain/payment-code.ts';
import { parseRfc3339 } from '../time.ts';
import { isRecord } from '../wire.ts';
import type { SimOrderIds, SimTradeType } from './orders.ts';

/**
 * Checks prepay and code-pay bodies the way WeChat Pay does, field by field (protocols.md §1.7). A
 * failure names the field and the problem (WeChat's PARAM_ERROR `detail`), never echoes a value.
 *
 * Deviation: WeChat requires an https notify_url; the simulator also takes http so that it can
 * notify a gateway on loopback.
 */
export type Checked<T> = { ok: true; value: T } | { ok: false; field: string; issue: string };

const OUT_TRADE_NO = /^[0-9A-Za-z_\-*|]{6,32}$/;
const NOTIFY_URL_CHARS_MAX = 256;

function fail(field: string, issue: string): { ok: false; field: string; issue: string } {
  return { ok: false, field, issue };
}

function stringField(body: Record<string, unknown>, field: string, min: number, max: number): string | null {
  const value = body[field];
  if (typeof value !== 'string') return null;
  const length = [...value].length;
  return length >= min && length <= max ? value : null;
}

export function checkNotifyUrl(value: unknown): string | null {
  if (typeof value !== 'string' || value.length > NOTIFY_URL_CHARS_MAX) return null;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return null;
  }
  // WeChat refuses notify URLs that carry a query string.
  if ((url.protocol !== 'https:' && url.protocol !== 'http:') || url.search !== '' || url.hash !== '')
    return null;
  return value;
}

/** A prepay or code-pay request, checked and normalised for both merchant modes. */
export interface CheckedPay {
  ids: SimOrderIds;
  description: string;
  out_trade_no: string;
  notify_url: string;
  amount_total: number;
  time_expire?: string;
  expire_at_ms?: number;
  attach?: string;
  payer_client_ip?: string;
  payer?: Record<string, string>;
  auth_code?: string;
}

function checkIds(value: Record<string, unknown>, partner: boolean): Checked<SimOrderIds> {
  if (!partner) {
    const appid = stringField(value, 'appid', 1, 32);
    if (appid === null) return fail('appid', 'must be a string of 1 to 32 characters');
    const mchid = stringField(value, 'mchid', 1, 32);
    if (mchid === null) return fail('mchid', 'must be a string of 1 to 32 characters');
    return { ok: true, value: { appid, mchid } };
  }
  const sp_appid = stringField(value, 'sp_appid', 1, 32);
  if (sp_appid === null) return fail('sp_appid', 'must be a string of 1 to 32 characters');
  const sp_mchid = stringField(value, 'sp_mchid', 1, 32);
  if (sp_mchid === null) return fail('sp_mchid', 'must be a string of 1 to 32 characters');
  const sub_mchid = stringField(value, 'sub_mchid', 1, 32);
  if (sub_mchid === null) return fail('sub_mchid', 'must be a string of 1 to 32 characters');
  const ids: SimOrderIds = { appid: sp_appid, mchid: sp_mchid, sub_mchid };
  if (value.sub_appid !== undefined) {
    const sub_appid = stringField(value, 'sub_appid', 1, 32);
    if (sub_appid === null) return fail('sub_appid', 'must be a string of 1 to 32 characters');
    ids.sub_appid = sub_appid;
  }
  return { ok: true, value: ids };
}

const OPENID = /^[A-Za-z0-9_-]{1,128}$/;

function checkPayer(value: unknown, partner: boolean, ids: SimOrderIds): Checked<Record<string, string>> {
  if (!isRecord(value)) return fail('payer', 'is required and must be an object');
  const names = partner ? ['sp_openid', 'sub_openid'] : ['openid'];
  const given = names.filter((name) => value[name] !== undefined);
  if (given.length !== 1) return fail('payer', `must hold exactly one of ${names.join(', ')}`);
  const name = given[0]!;
  const id = value[name];
  if (typeof id !== 'string' || !OPENID.test(id)) return fail(`payer.${name}`, 'is not an openid');
  // A sub_openid belongs to the sub-merchant's own appid, which must then be named.
  if (name === 'sub_openid' && ids.sub_appid === undefined)
    return fail('sub_appid', 'is required with payer.sub_openid');
  return { ok: true, value: { [name]: id } };
}

/** Checks one prepay (trade_type NATIVE/JSAPI/APP/MWEB) or code-pay (MICROPAY) body. */
export function checkPayBody(
  value: unknown,
  now_ms: number,
  partner: boolean,
  trade_type: SimTradeType,
): Checked<CheckedPay> {
  if (!isRecord(value)) return fail('body', 'must be a JSON object');
  const ids = checkIds(value, partner);
  if (!ids.ok) return ids;
  const description = stringField(value, 'description', 1, 127);
  if (description === null) return fail('description', 'must be a string of 1 to 127 characters');
  const out_trade_no = value.out_trade_no;
  if (typeof out_trade_no !== 'string' || !OUT_TRADE_NO.test(out_trade_no)) {
    return fail('out_trade_no', 'must be 6 to 32 characters of [0-9A-Za-z_-*|]');
  }
  const codepay = trade_type === 'MICROPAY';
  let notify_url = '';
  if (!codepay) {
    const checked = checkNotifyUrl(value.notify_url);
    if (checked === null)
      return fail('notify_url', 'must be an absolute URL without query string, at most 256 characters');
    notify_url = checked;
  }
  if (!isRecord(value.amount)) return fail('amount', 'must be an object');
  const total = value.amount.total;
  if (typeof total !== 'number' || !Number.isSafeInteger(total) || total < 1) {
    return fail('amount.total', 'must be a whole number of fen, at least 1');
  }
  const currency = value.amount.currency;
  if (currency !== undefined && currency !== 'CNY') return fail('amount.currency', 'must be CNY');
  const request: CheckedPay = { ids: ids.value, description, out_trade_no, notify_url, amount_total: total };
  if (value.time_expire !== undefined) {
    const at_ms = typeof value.time_expire === 'string' ? parseRfc3339(value.time_expire) : null;
    if (at_ms === null) return fail('time_expire', 'must be an RFC 3339 date-time with offset');
    if (at_ms <= now_ms) return fail('time_expire', 'is in the past');
    request.time_expire = value.time_expire as string;
    request.expire_at_ms = at_ms;
  }
  if (value.attach !== undefined) {
    const attach = stringField(value, 'attach', 0, 128);
    if (attach === null) return fail('attach', 'must be a string of at most 128 characters');
    request.attach = attach;
  }
  const scene = value.scene_info;
  if (scene !== undefined && !isRecord(scene)) return fail('scene_info', 'must be an object');
  const ip_field = codepay ? 'device_ip' : 'payer_client_ip';
  if (isRecord(scene) && scene[ip_field] !== undefined) {
    const ip = scene[ip_field];
    if (typeof ip !== 'string' || isIP(ip) === 0)
      return fail(`scene_info.${ip_field}`, 'must be an IPv4 or IPv6 address');
    request.payer_client_ip = ip;
  }
  if (trade_type === 'MWEB') {
    // H5 is refused without the payer's IP and the H5 scene: WeChat checks both at the cashier.
    if (request.payer_client_ip === undefined)
      return fail('scene_info.payer_client_ip', 'is required for H5');
    const h5 = isRecord(scene) ? scene.h5_info : undefined;
    if (!isRecord(h5) || !['Wap', 'iOS', 'Android'].includes(String(h5.type)))
      return fail('scene_info.h5_info.type', 'must be Wap, iOS or Android');
  }
  if (trade_type === 'JSAPI') {
    const payer = checkPayer(value.payer, partner, ids.value);
    if (!payer.ok) return payer;
    request.payer = payer.value;
  }
  if (codepay) {
    const auth_code = isRecord(value.payer) ? value.payer.auth_code : undefined;
    if (typeof auth_code !== 'string' || classifyPaymentCode(auth_code) !== 'WX_BAR')
      return fail('payer.auth_code', 'must be an 18-digit WeChat payment code');
    request.auth_code = auth_code;
  }
  return { ok: true, value: request };
}
