/**
 * Alipay writes times as `yyyy-MM-dd HH:mm:ss` in Beijing time (UTC+8, no daylight saving), in
 * request `timestamp`, `time_expire`, and in every `gmt_*` / `send_pay_date` field (protocols.md
 * §3.1). We keep instants as epoch milliseconds and convert only here.
 */
const BEIJING_OFFSET_MS = 8 * 3600_000;

function pad(value: number, width = 2): string {
  return String(value).padStart(width, '0');
}

/** `yyyy-MM-dd HH:mm:ss` in Beijing time, whole seconds (truncated, so never later than `at_ms`). */
export function toBeijingDateTime(at_ms: number): string {
  if (!Number.isSafeInteger(at_ms)) throw new RangeError('at_ms must be a safe integer');
  const d = new Date(Math.floor(at_ms / 1000) * 1000 + BEIJING_OFFSET_MS);
  return (
    `${pad(d.getUTCFullYear(), 4)}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ` +
    `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`
  );
}

/** `yyyy-MM-dd` of the Beijing calendar day holding `at_ms`. */
export function toBeijingDate(at_ms: number): string {
  return toBeijingDateTime(at_ms).slice(0, 10);
}

const DATE_TIME = /^(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2})$/;

/** Epoch milliseconds of a Beijing `yyyy-MM-dd HH:mm:ss`, or null when it is not one. */
export function parseBeijingDateTime(text: string): number | null {
  const m = DATE_TIME.exec(text);
  if (!m) return null;
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  if (month < 1 || month > 12 || hour > 23 || minute > 59 || second > 59) return null;
  const local_ms = Date.UTC(year, month - 1, day, hour, minute, second);
  // Date.UTC rolls 31 February into March; a round trip catches impossible dates.
  if (new Date(local_ms).getUTCDate() !== day) return null;
  return local_ms - BEIJING_OFFSET_MS;
}

const DATE = /^\d{4}-\d{2}-\d{2}$/;

/** Whether `text` is a real calendar date `yyyy-MM-dd`. */
export function isCalendarDate(text: string): boolean {
  return DATE.test(text) && parseBeijingDateTime(`${text} 00:00:00`) !== null;
}
