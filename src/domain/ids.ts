import type { Clock } from './clock.ts';
import type { Random } from './random.ts';

/**
 * Prefixed, sortable ids (ULID layout: 48-bit millisecond time + 80 random bits, Crockford base32),
 * so an id in a log line says what it names and ids sort by creation time.
 * Every prefix lives in this one table.
 */
export const ID_PREFIXES = {
  merchant: 'mch',
  app: 'app',
  channel_account: 'ca',
  payment: 'pay',
  event: 'evt',
  delivery_attempt: 'att',
  refund: 'rf',
  channel_notification: 'ntf',
  static_code: 'sc',
} as const;

export type IdKind = keyof typeof ID_PREFIXES;

const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
const ID_BODY_LENGTH = 26;

export function newId(kind: IdKind, clock: Clock, random: Random): string {
  return `${ID_PREFIXES[kind]}_${ulid(clock.now_ms(), random)}`;
}

export function ulid(time_ms: number, random: Random): string {
  if (!Number.isSafeInteger(time_ms) || time_ms < 0) throw new Error(`bad time for id: ${time_ms}`);
  let out = '';
  let t = time_ms;
  for (let i = 0; i < 10; i++) {
    out = CROCKFORD[t % 32] + out;
    t = Math.floor(t / 32);
  }
  const bytes = random.bytes(10);
  // 80 bits → 16 base32 characters, 5 bits each.
  let bits = 0;
  let acc = 0;
  for (const byte of bytes) {
    acc = (acc << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += CROCKFORD[(acc >>> (bits - 5)) & 31];
      bits -= 5;
    }
    acc &= (1 << bits) - 1;
  }
  return out;
}

const ID_PATTERN = /^([a-z]+)_([0-9A-HJKMNP-TV-Z]{26})$/;

/** True when `value` is a well-formed id of the given kind. */
export function isId(kind: IdKind, value: string): boolean {
  const m = ID_PATTERN.exec(value);
  return m !== null && m[1] === ID_PREFIXES[kind] && m[2]!.length === ID_BODY_LENGTH;
}
