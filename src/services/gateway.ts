import type { Logger } from 'pino';
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
}
