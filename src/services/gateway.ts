import type { Logger } from 'pino';
import type { ExchangeTiming } from '../channels/http-client.ts';
import type { ChannelContext } from '../channels/types.ts';
import type { Clock } from '../domain/clock.ts';
import type { Random } from '../domain/random.ts';
import type { Store } from '../storage/database.ts';
import type { SecretBox } from '../storage/secret-box.ts';
import type { AppCredentials } from './app-credentials.ts';
import type { ChannelAccounts } from './channel-accounts.ts';
import type { GatewayMetrics } from './metrics.ts';

/**
 * Everything the use cases need from the outside world, passed explicitly. Tests build one with a
 * ManualClock and a SeededRandom; `paymux start` builds one with the system's.
 */
export interface Gateway {
  store: Store;
  clock: Clock;
  random: Random;
  secrets: SecretBox;
  logger: Logger;
  metrics: GatewayMetrics;
  credentials: AppCredentials;
  accounts: ChannelAccounts;
  settings: GatewaySettings;
  /** Called after an event is committed, so the deliverer need not wait for its next poll. */
  onEventsCommitted: () => void;
}

export interface GatewaySettings {
  /** How channels and browsers reach this gateway. */
  public_url: string;
  channel_timeout_ms: number;
  /** Payment checks the sync job runs per second at most, and as many refund checks. */
  sync_checks_per_s: number;
  /**
   * Demo conveniences on the payer pages (a desktop browser may play a wallet with `?wallet=`, the
   * test page is prefilled). On only with the simulators, never in production.
   */
  demo_pages: boolean;
  /** Set by `paymux start` with the simulators: what the test page is prefilled with. */
  demo?: {
    app_id: string;
    app_secret: string;
    notify_url: string;
    /** Each simulator's wallet page that "scans" a QR code (the code goes in `?code=`). */
    wallet_scan_urls: Record<string, string>;
  };
}

/**
 * What a channel call needs from the gateway: its clock, its randomness (nonces) and the budget of
 * one exchange; `timing`, when given, collects the time of the exchanges (Server-Timing).
 */
export function channelContext(gw: Gateway, timing?: ExchangeTiming): ChannelContext {
  return { clock: gw.clock, random: gw.random, timeout_ms: gw.settings.channel_timeout_ms, timing };
}
