import { isIP } from 'node:net';
import { parseRfc3339 } from '../time.ts';
import { isRecord, type NativePrepayRequest } from '../wire.ts';

/**
 * Checks a Native prepay body the way WeChat Pay does, field by field (protocols.md §1.7). A
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

function checkNotifyUrl(value: unknown): string | null {
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

export function checkPrepayBody(value: unknown, now_ms: number): Checked<NativePrepayRequest> {
  if (!isRecord(value)) return fail('body', 'must be a JSON object');
  const appid = stringField(value, 'appid', 1, 32);
  if (appid === null) return fail('appid', 'must be a string of 1 to 32 characters');
  const mchid = stringField(value, 'mchid', 1, 32);
  if (mchid === null) return fail('mchid', 'must be a string of 1 to 32 characters');
  const description = stringField(value, 'description', 1, 127);
  if (description === null) return fail('description', 'must be a string of 1 to 127 characters');
  const out_trade_no = value.out_trade_no;
  if (typeof out_trade_no !== 'string' || !OUT_TRADE_NO.test(out_trade_no)) {
    return fail('out_trade_no', 'must be 6 to 32 characters of [0-9A-Za-z_-*|]');
  }
  const notify_url = checkNotifyUrl(value.notify_url);
  if (notify_url === null)
    return fail('notify_url', 'must be an absolute URL without query string, at most 256 characters');
  if (!isRecord(value.amount)) return fail('amount', 'must be an object');
  const total = value.amount.total;
  if (typeof total !== 'number' || !Number.isSafeInteger(total) || total < 1) {
    return fail('amount.total', 'must be a whole number of fen, at least 1');
  }
  const currency = value.amount.currency;
  if (currency !== undefined && currency !== 'CNY') return fail('amount.currency', 'must be CNY');
  const request: NativePrepayRequest = {
    appid,
    mchid,
    description,
    out_trade_no,
    notify_url,
    amount: { total, ...(currency !== undefined ? { currency } : {}) },
  };
  if (value.time_expire !== undefined) {
    const at_ms = typeof value.time_expire === 'string' ? parseRfc3339(value.time_expire) : null;
    if (at_ms === null) return fail('time_expire', 'must be an RFC 3339 date-time with offset');
    if (at_ms <= now_ms) return fail('time_expire', 'is in the past');
    request.time_expire = value.time_expire as string;
  }
  if (value.attach !== undefined) {
    const attach = stringField(value, 'attach', 0, 128);
    if (attach === null) return fail('attach', 'must be a string of at most 128 characters');
    request.attach = attach;
  }
  if (value.scene_info !== undefined) {
    if (!isRecord(value.scene_info)) return fail('scene_info', 'must be an object');
    const ip = value.scene_info.payer_client_ip;
    if (typeof ip !== 'string' || isIP(ip) === 0)
      return fail('scene_info.payer_client_ip', 'must be an IPv4 or IPv6 address');
    request.scene_info = { payer_client_ip: ip };
  }
  return { ok: true, value: request };
}
