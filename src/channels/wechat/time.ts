/**
 * WeChat Pay writes times as RFC 3339 with an offset, in China Standard Time
 * (`2018-06-08T10:34:56+08:00`). We keep instants as epoch milliseconds and convert only here.
 */
const BEIJING_OFFSET_MS = 8 * 3600_000;

function pad(value: number, width = 2): string {
  return String(value).padStart(width, '0');
}

/** `YYYY-MM-DDTHH:mm:ss+08:00`, whole seconds (truncated toward the past, so never later than `at_ms`). */
export function toRfc3339Beijing(at_ms: number): string {
  if (!Number.isSafeInteger(at_ms)) throw new RangeError('at_ms must be a safe integer');
  const d = new Date(Math.floor(at_ms / 1000) * 1000 + BEIJING_OFFSET_MS);
  return (
    `${pad(d.getUTCFullYear(), 4)}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}` +
    `T${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}+08:00`
  );
}

const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:\d{2})$/;

/** Epoch milliseconds of an RFC 3339 date-time with offset, or null when it is not one. */
export function parseRfc3339(text: string): number | null {
  const m = RFC3339.exec(text);
  if (!m) return null;
  const [year, month, day, hour, minute, second] = [m[1], m[2], m[3], m[4], m[5], m[6]].map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  const fraction_ms = m[7] === undefined ? 0 : Math.floor(Number(`0.${m[7]}`) * 1000);
  const zone = m[8]!;
  let offset_ms = 0;
  if (zone !== 'Z') {
    const sign = zone[0] === '-' ? -1 : 1;
    const zh = Number(zone.slice(1, 3));
    const zm = Number(zone.slice(4, 6));
    if (zh > 23 || zm > 59) return null;
    offset_ms = sign * (zh * 3600_000 + zm * 60_000);
  }
  if (month < 1 || month > 12 || hour > 23 || minute > 59 || second > 59) return null;
  const local_ms = Date.UTC(year, month - 1, day, hour, minute, second);
  // Date.UTC rolls 31 February into March; a round trip catches impossible dates.
  if (new Date(local_ms).getUTCDate() !== day) return null;
  return local_ms + fraction_ms - offset_ms;
}

// APIv2 and the bills write Beijing wall-clock times without an offset.

/** `yyyyMMddHHmmss` (APIv2 time_end) in Beijing time. */
export function toBeijingCompact(at_ms: number): string {
  return toRfc3339Beijing(at_ms).slice(0, 19).replace(/[-T:]/g, '');
}

/** `YYYY-MM-DD HH:mm:ss` (trade bill 交易时间) in Beijing time. */
export function toBeijingDateTime(at_ms: number): string {
  return toRfc3339Beijing(at_ms).slice(0, 19).replace('T', ' ');
}

/** `YYYY-MM-DD`, the Beijing calendar day (bill_date). */
export function beijingDate(at_ms: number): string {
  return toRfc3339Beijing(at_ms).slice(0, 10);
}

const COMPACT = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})$/;
const SPACED = /^(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2})$/;

function beijingWallClock(m: RegExpExecArray | null): number | null {
  if (!m) return null;
  return parseRfc3339(`${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6]}+08:00`);
}

export function parseBeijingCompact(text: string): number | null {
  return beijingWallClock(COMPACT.exec(text));
}

export function parseBeijingDateTime(text: string): number | null {
  return beijingWallClock(SPACED.exec(text));
}
