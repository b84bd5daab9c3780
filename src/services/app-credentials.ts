import type { Kysely } from 'kysely';
import type { Clock } from '../domain/clock.ts';
import { findApp } from '../storage/repositories/tenants.ts';
import type { Database } from '../storage/schema.ts';
import type { SecretBox } from '../storage/secret-box.ts';

export interface AppCredential {
  app_id: string;
  merchant_id: string;
  active: boolean;
  /** Current secret first, then the one before a rotation (both verify requests). */
  secrets: string[];
}

/** Where a sealed app secret belongs; binds the sealed value to its row. */
export function appSecretAad(app_id: string): string {
  return `app-secret:${app_id}`;
}

/** How long an app's credentials are served from memory before being read again. */
export const CREDENTIAL_CACHE_TTL_MS = 10_000;
export const CREDENTIAL_CACHE_ENTRIES_MAX = 10_000;

/**
 * App credentials with their secrets opened, cached briefly: every signed request needs them and
 * opening sealed secrets on each would waste the payment path's time. A disabled app or rotated
 * secret takes effect within the TTL.
 */
export class AppCredentials {
  readonly #cache = new Map<string, { credential: AppCredential | null; loaded_at_ms: number }>();
  constructor(
    private readonly db: Kysely<Database>,
    private readonly secrets: SecretBox,
    private readonly clock: Clock,
  ) {}

  async get(app_id: string): Promise<AppCredential | null> {
    const now = this.clock.now_ms();
    const hit = this.#cache.get(app_id);
    if (hit && now - hit.loaded_at_ms < CREDENTIAL_CACHE_TTL_MS) return hit.credential;
    const row = await findApp(this.db, app_id);
    const credential: AppCredential | null = row
      ? {
          app_id: row.id,
          merchant_id: row.merchant_id,
          active: row.status === 'active',
          secrets: [row.secret_sealed, row.previous_secret_sealed]
            .filter((s): s is string => s !== null)
            .map((sealed) => this.secrets.open(sealed, appSecretAad(row.id))),
        }
      : null;
    if (this.#cache.size >= CREDENTIAL_CACHE_ENTRIES_MAX) this.#cache.clear();
    this.#cache.set(app_id, { credential, loaded_at_ms: now });
    return credential;
  }

  forget(app_id: string): void {
    this.#cache.delete(app_id);
  }
}
