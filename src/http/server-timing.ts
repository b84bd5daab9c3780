import type { ExchangeTiming } from '../channels/http-client.ts';

/**
 * The `Server-Timing` value a create answers with when it called the channel: `channel;dur=12.345`
 * (milliseconds), so a merchant can tell the channel's share of the wait from the gateway's.
 */
export function channelServerTiming(timing: ExchangeTiming): string {
  return `channel;dur=${timing.elapsed_ms.toFixed(3)}`;
}

/** The channel's milliseconds in a `Server-Timing` value; NaN when it has none. */
export function channelMsOfServerTiming(header: string | string[] | undefined): number {
  const match = /(?:^|,\s*)channel;dur=([0-9.]+)/.exec(String(header ?? ''));
  return match ? Number(match[1]) : Number.NaN;
}
