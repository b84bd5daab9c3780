import { randomBytes } from 'node:crypto';
import { channelAdapter } from '../channels/registry.ts';
import { newId } from '../domain/ids.ts';
import type { ChannelName } from '../domain/pay-way.ts';
import {
  findApp,
  insertApp,
  insertChannelAccount,
  insertMerchant,
  updateAppSecrets,
} from '../storage/repositories/tenants.ts';
import { appSecretAad } from './app-credentials.ts';
import { channelAccountAad } from './channel-accounts.ts';
import type { Gateway } from './gateway.ts';

/** Onboarding in its simplest form: merchant, app with its API secret, channel account. */

export async function createMerchant(gw: Gateway, name: string): Promise<{ id: string }> {
  const id = newId('merchant', gw.clock, gw.random);
  await gw.store.transact((tx) =>
    insertMerchant(tx, { id, name, status: 'active', created_at: gw.clock.now_ms() }),
  );
  return { id };
}

function newAppSecret(): string {
  return `sk_${randomBytes(24).toString('base64url')}`;
}

/**
 * Rotates an app's secret: a new current secret is made and returned (shown once); the old one
 * stays valid as the previous secret, so the merchant can switch without a failed request. Webhooks
 * carry a signature for each. `retirePreviousSecret` ends the overlap.
 */
export async function rotateAppSecret(gw: Gateway, app_id: string): Promise<{ secret: string }> {
  const app = await findApp(gw.store.db, app_id);
  if (!app) throw new Error(`no app ${app_id}`);
  const secret = newAppSecret();
  await gw.store.transact((tx) =>
    updateAppSecrets(tx, app_id, gw.secrets.seal(secret, appSecretAad(app_id)), app.secret_sealed),
  );
  gw.credentials.forget(app_id);
  return { secret };
}

export async function retirePreviousSecret(gw: Gateway, app_id: string): Promise<void> {
  const app = await findApp(gw.store.db, app_id);
  if (!app) throw new Error(`no app ${app_id}`);
  await gw.store.transact((tx) => updateAppSecrets(tx, app_id, app.secret_sealed, null));
  gw.credentials.forget(app_id);
}

/** Creates an app and returns its secret: the only time the secret is shown. */
export async function createApp(
  gw: Gateway,
  merchant_id: string,
  name: string,
): Promise<{ id: string; secret: string }> {
  const id = newId('app', gw.clock, gw.random);
  const secret = newAppSecret();
  await gw.store.transact((tx) =>
    insertApp(tx, {
      id,
      merchant_id,
      name,
      status: 'active',
      secret_sealed: gw.secrets.seal(secret, appSecretAad(id)),
      previous_secret_sealed: null,
      created_at: gw.clock.now_ms(),
    }),
  );
  return { id, secret };
}

export interface NewChannelAccount {
  merchant_id: string;
  channel: ChannelName;
  mode: 'direct' | 'partner';
  name: string;
  /** Settings that are not secret (ids, URLs). */
  settings: Record<string, string>;
  /** Keys and API keys: sealed at rest, never returned. */
  secrets: Record<string, string>;
}

export async function createChannelAccount(gw: Gateway, input: NewChannelAccount): Promise<{ id: string }> {
  const adapter = channelAdapter(input.channel);
  if (!adapter) throw new Error(`no adapter for channel ${input.channel}`);
  adapter.validateConfig({ ...input.settings, ...input.secrets });
  const id = newId('channel_account', gw.clock, gw.random);
  const now = gw.clock.now_ms();
  await gw.store.transact((tx) =>
    insertChannelAccount(tx, {
      id,
      merchant_id: input.merchant_id,
      channel: input.channel,
      mode: input.mode,
      name: input.name,
      status: 'enabled',
      settings_json: JSON.stringify(input.settings),
      secrets_sealed: gw.secrets.seal(JSON.stringify(input.secrets), channelAccountAad(id)),
      created_at: now,
      updated_at: now,
    }),
  );
  return { id };
}
