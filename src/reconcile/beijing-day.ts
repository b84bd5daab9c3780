import type { DayRange } from './types.ts';

/**
 * Channels cut their bills at Beijing midnight (UTC+8, no daylight saving), so "the day" of a
 * reconciliation is [00:00, 24:00) +08:00 whatever the server's time zone.
 */
const BEIJING_OFFSET_MS = 8 * 3_600_000;
const DAY_MS = 86_400_000;

/** A real calendar date written YYYY-MM-DD. */
export function isBillDate(text: string): boolean {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(text)) return false;
  const ms = Date.parse(`${text}T00:00:00Z`);
  return Number.isFinite(ms) && new Date(ms).toISOString().slice(0, 10) === text;
}

export function dayRangeOf(bill_date: string): DayRange {
  if (!isBillDate(bill_date)) throw new Error('bill date must be YYYY-MM-DD');
  const start_ms = Date.parse(`${bill_date}T00:00:00+08:00`);
  return { bill_date, start_ms, end_ms: start_ms + DAY_MS };
}

/** The Beijing calendar date at an instant. */
export function beijingDateOf(at_ms: number): string {
  return new Date(at_ms + BEIJING_OFFSET_MS).toISOString().slice(0, 10);
}

/** Milliseconds since Beijing midnight at an instant. */
export function beijingTimeOfDayMs(at_ms: number): number {
  return (((at_ms + BEIJING_OFFSET_MS) % DAY_MS) + DAY_MS) % DAY_MS;
}

/** The Beijing date before the one at this instant: the newest bill a channel has published. */
export function beijingYesterdayOf(at_ms: number): string {
  return beijingDateOf(at_ms - DAY_MS);
}
