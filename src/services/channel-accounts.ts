import type { Kysely } from 'kysely';
import { channelAdapter } from '../channels/registry.ts';
import type { ChannelAccount } from '../channels/types.ts';
import type { ChannelName } from '../domain/pay-way.ts';
import { type ChannelAccountRecord, findChannelAccount } from '../storage/repositories/tenants.ts';
import type { Database } from '../storage/schema.ts';
import type { SecretBox } from '../storage/secret-box.ts';

export function channelAccountAad(account_id: string): string {
  return `channel-account:${account_id}`;
}

export const CHANNEL_ACCOUNT_CACHE_ENTRIES_MAX = 10_000;

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
  constructor(
    private readonly db: Kysely<Database>,
    private readonly secrets: SecretBox,
  ) {}

  async load(id: string): Promise<LoadedChannelAccount | null> {
    const row = await findChannelAccount(this.db, id);
    return row ? this.fromRecord(row) : null;
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
