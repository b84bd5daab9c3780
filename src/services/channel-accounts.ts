import type { Kysely } from 'kysely';
import { channelAdapter } from '../channels/registry.ts';
import type { ChannelAccount } from '../channels/types.ts';
import type { Clock } from '../domain/clock.ts';
import type { ChannelName } from '../domain/pay-way.ts';
import {
  type ChannelAccountRecord,
  findChannelAccount,
  listEnabledChannelAccounts,
} from '../storage/repositories/tenants.ts';
import type { Database } from '../storage/schema.ts';
import type { SecretBox } from '../storage/secret-box.ts';

export function channelAccountAad(account_id: string): string {
  return `channel-account:${account_id}`;
}

export const CHANNEL_ACCOUNT_CACHE_ENTRIES_MAX = 10_000;
/**
 * How long a merchant's list of enabled accounts is reused. Disabling an account stops new
 * payments going to it within this time; notifications and queries for existing payments load
 * the account by id and are not affected.
 */
export const ENABLED_ACCOUNTS_TTL_MS = 2_000;

export interface LoadedChannelAccount extends ChannelAccount {
  merchant_id: string;
  enabled: boolean;
}

/**
 * Channel accounts with their secrets opened, cached by id and last update: the keys are needed
 * on every channel call and notification. An update (new key, disabled) changes updated_at, and the
 * next load after the cache check sees it.
 */
export class ChannelAccounts {
  readonly #cache = new Map<string, { updated_at: number; account: LoadedChannelAccount }>();
  readonly #enabled = new Map<string, { loaded_at_ms: number; accounts: LoadedChannelAccount[] }>();
  readonly #by_id = new Map<string, { loaded_at_ms: number; account: LoadedChannelAccount | null }>();
  constructor(
    private readonly db: Kysely<Database>,
    private readonly secrets: SecretBox,
    private readonly clock: Clock,
  ) {}

  /** A merchant's enabled accounts on one channel, oldest first (what routing chooses from). */
  async enabledFor(merchant_id: string, channel: ChannelName): Promise<LoadedChannelAccount[]> {
    const key = `${merchant_id}:${channel}`;
    const now = this.clock.now_ms();
    const hit = this.#enabled.get(key);
    if (hit && now - hit.loaded_at_ms < ENABLED_ACCOUNTS_TTL_MS) return hit.accounts;
    const accounts = (await listEnabledChannelAccounts(this.db, merchant_id, channel)).map((row) =>
      this.fromRecord(row),
    );
    if (this.#enabled.size >= CHANNEL_ACCOUNT_CACHE_ENTRIES_MAX) this.#enabled.clear();
    this.#enabled.set(key, { loaded_at_ms: now, accounts });
    return accounts;
  }

  /**
   * An account by id, read again at most every ENABLED_ACCOUNTS_TTL_MS: every notification and
   * query needs it, and a change (new key, disabled) still takes effect within that time.
   */
  async load(id: string): Promise<LoadedChannelAccount | null> {
    const now = this.clock.now_ms();
    const hit = this.#by_id.get(id);
    if (hit && now - hit.loaded_at_ms < ENABLED_ACCOUNTS_TTL_MS) return hit.account;
    const row = await findChannelAccount(this.db, id);
    const account = row ? this.fromRecord(row) : null;
    if (this.#by_id.size >= CHANNEL_ACCOUNT_CACHE_ENTRIES_MAX) this.#by_id.clear();
    this.#by_id.set(id, { loaded_at_ms: now, account });
    return account;
  }

  fromRecord(row: ChannelAccountRecord): LoadedChannelAccount {
    const hit = this.#cache.get(row.id);
    if (hit && hit.updated_at === row.updated_at) return hit.account;
    const settings = JSON.parse(row.settings_json) as Record<string, string>;
    const secrets = JSON.parse(this.secrets.open(row.secrets_sealed, channelAccountAad(row.id))) as Record<
      string,
      string
    >;
    const account: LoadedChannelAccount = {
      id: row.id,
      channel: row.channel as ChannelName,
      merchant_id: row.merchant_id,
      enabled: row.status === 'enabled',
      config: Object.freeze({ ...settings, ...secrets }),
    };
    channelAdapter(account.channel)?.validateConfig(account.config);
    if (this.#cache.size >= CHANNEL_ACCOUNT_CACHE_ENTRIES_MAX) this.#cache.clear();
    this.#cache.set(row.id, { updated_at: row.updated_at, account });
    return account;
  }
}
