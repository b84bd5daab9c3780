/**
 * Money is integer fen (1/100 CNY) from the merchant API to the ledger. No floats, ever: a channel
 * that speaks yuan (Alipay) converts at its own edge with exact string arithmetic.
 */
export type Fen = number;

/** Smallest payment: 1 fen. */
export const PAYMENT_AMOUNT_MIN_FEN = 1;
/** Largest single payment the gateway takes: CNY 100,000,000.00, the widest channel limit (Alipay). */
export const PAYMENT_AMOUNT_MAX_FEN = 10_000_000_000;

export type AmountProblem = 'not_integer' | 'too_small' | 'too_large';

/** Why `value` is not a valid payment amount in fen, or null when it is one. */
export function paymentAmountProblem(value: unknown): AmountProblem | null {
  if (typeof value !== 'number' || !Number.isSafeInteger(value)) return 'not_integer';
  if (value < PAYMENT_AMOUNT_MIN_FEN) return 'too_small';
  if (value > PAYMENT_AMOUNT_MAX_FEN) return 'too_large';
  return null;
}

/** Fen as a yuan string with two decimals ("0.01", "12.30"), exact. */
export function fenToYuan(fen: Fen): string {
  if (!Number.isSafeInteger(fen)) throw new RangeError(`fen must be a safe integer, got ${fen}`);
  const negative = fen < 0;
  const abs = Math.abs(fen);
  const yuan = Math.floor(abs / 100);
  const cents = abs % 100;
  return `${negative ? '-' : ''}${yuan}.${cents.toString().padStart(2, '0')}`;
}

const YUAN_PATTERN = /^(0|[1-9]\d{0,12})(?:\.(\d{1,2}))?$/;

/** A yuan string ("12.3", "0.01", "100") as fen, exact; null when it is not a plain amount. */
export function yuanToFen(yuan: string): Fen | null {
  const m = YUAN_PATTERN.exec(yuan);
  if (!m) return null;
  const cents = (m[2] ?? '').padEnd(2, '0');
  return Number(m[1]) * 100 + Number(cents);
}
