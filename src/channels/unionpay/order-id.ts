import { CANCEL_ORDER_ID_SUFFIX, ORDER_ID_PATTERN } from './constants.ts';
import { toAcpTime } from './time.ts';

/**
 * Our ids on UnionPay's wire. ACP orderIds are letters and digits only, so `pay_01JV…` travels as
 * `pay01JV…`: the one underscore after the lower-case prefix goes, and comes back on the way in.
 * ULID bodies are upper case and digits, so the split point is never ambiguous.
 *
 * ACP identifies a transaction by orderId *and* txnTime (queries must send both). We do not store
 * the txnTime we sent; instead it is the instant in the id's ULID, so any later call derives the
 * same value from the id alone.
 */
const OUR_ID = /^([a-z]{1,16})_([0-9A-HJKMNP-TV-Z]{26})$/;
const WIRE_ID = /^([a-z]{1,16})([0-9A-HJKMNP-TV-Z]{26})$/;
const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
const ULID_TIME_CHARS = 10;

/** The orderId for one of our ids, or null when the id is not a prefixed ULID. */
export function orderIdOf(our_id: string): string | null {
  const m = OUR_ID.exec(our_id);
  if (!m) return null;
  const order_id = `${m[1]}${m[2]}`;
  return ORDER_ID_PATTERN.test(order_id) ? order_id : null;
}

/** Our id for an orderId we made, or null when it is not one of ours. */
export function ourIdOf(order_id: string): string | null {
  const m = WIRE_ID.exec(order_id);
  return m ? `${m[1]}_${m[2]}` : null;
}

/** The cancel transaction's orderId for a payment's orderId. */
export function cancelOrderIdOf(order_id: string): string {
  return `${order_id}${CANCEL_ORDER_ID_SUFFIX}`;
}

/** Milliseconds encoded in a ULID's first 10 characters. */
function ulidTimeMs(body: string): number {
  let ms = 0;
  for (let i = 0; i < ULID_TIME_CHARS; i++) ms = ms * 32 + CROCKFORD.indexOf(body[i]!);
  return ms;
}

/** The txnTime of every transaction about `our_id` (the id's creation instant, Beijing time). */
export function txnTimeOf(our_id: string): string | null {
  const m = OUR_ID.exec(our_id);
  if (!m) return null;
  const ms = ulidTimeMs(m[2]!);
  return Number.isSafeInteger(ms) ? toAcpTime(ms) : null;
}
