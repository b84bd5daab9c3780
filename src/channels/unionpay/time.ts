/**
 * ACP writes times in China Standard Time without an offset: txnTime and payTimeout as
 * `YYYYMMDDhhmmss`, settleDate as `MMDD`. We keep instants as epoch milliseconds and convert here only.
 */
const BEIJING_OFFSET_MS = 8 * 3600_000;

function pad(value: number, width = 2): string {
  return String(value).padStart(width, '0');
}

function beijing(at_ms: number): Date {
  if (!Number.isSafeInteger(at_ms)) throw new RangeError('at_ms must be a safe integer');
  return new Date(Math.floor(at_ms / 1000) * 1000 + BEIJING_OFFSET_MS);
}

/** `YYYYMMDDhhmmss` in Beijing time, whole seconds (truncated, so never later than `at_ms`). */
export function toAcpTime(at_ms: number): string {
  const d = beijing(at_ms);
  return (
    `${pad(d.getUTCFullYear(), 4)}${pad(d.getUTCMonth() + 1)}${pad(d.getUTCDate())}` +
    `${pad(d.getUTCHours())}${pad(d.getUTCMinutes())}${pad(d.getUTCSeconds())}`
  );
}

/** `YYYYMMDD` in Beijing time. */
export function toAcpDate(at_ms: number): string {
  return toAcpTime(at_ms).slice(0, 8);
}

const ACP_TIME = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})$/;

/** Epoch milliseconds of a `YYYYMMDDhhmmss` Beijing time, or null when it is not a real one. */
export function parseAcpTime(text: string): number | null {
  const m = ACP_TIME.exec(text);
  if (!m) return null;
  const [year, month, day, hour, minute, second] = m.slice(1).map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  if (month < 1 || month > 12 || day < 1 || hour > 23 || minute > 59 || second > 59) return null;
  const local_ms = Date.UTC(year, month - 1, day, hour, minute, second);
  // Date.UTC rolls 31 February into March; a round trip catches impossible dates.
  if (new Date(local_ms).getUTCDate() !== day) return null;
  return local_ms - BEIJING_OFFSET_MS;
}

const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

/** `YYYY-MM-DD` as `YYYYMMDD`, or null when it is not a calendar date. */
export function compactDate(iso_date: string): string | null {
  const m = ISO_DATE.exec(iso_date);
  if (!m) return null;
  const compact = `${m[1]}${m[2]}${m[3]}`;
  return parseAcpTime(`${compact}000000`) === null ? null : compact;
}
