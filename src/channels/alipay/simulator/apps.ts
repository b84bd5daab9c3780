import type { KeyObject } from 'node:crypto';
import { certSnOf } from '../cert-sn.ts';
import { publicKeyOf } from '../crypto.ts';
import { isRecord } from '../wire.ts';

/**
 * The apps the simulated Alipay knows: what the real one learns when a developer creates an app
 * and uploads its public key (key mode) or gets its app certificate (certificate mode). An ISV
 * app also holds the app_auth_tokens merchants granted it, each naming the merchant's own app.
 */
export interface SimApp {
  app_id: string;
  public_key: KeyObject;
  /** Certificate mode: the SN requests must carry in app_cert_sn. */
  app_cert_sn?: string;
  /** The merchant's Alipay user id, echoed as seller_id. */
  seller_id: string;
  /** off: this app's orders send no notifications. */
  notify: 'on' | 'off';
  /** ISV apps: app_auth_token → the authorising merchant's app_id. */
  app_auth_tokens: ReadonlyMap<string, string>;
  /** How alipay.system.oauth.token names the payer: user_id (2088…, older apps) or open_id (newer). */
  identity_mode: 'user_id' | 'open_id';
}

export const APPS_MAX = 1000;
const AUTH_TOKENS_MAX = 100;

function fail(message: string): never {
  throw new Error(message);
}

/** Checks a registration; throws an Error naming the bad field (never its value). */
export function checkSimApp(value: unknown, default_seller_id: string): SimApp {
  if (!isRecord(value)) fail('app must be a JSON object');
  const { app_id, app_public_key_pem, app_cert_pem, seller_id, notify, app_auth_tokens, identity_mode } =
    value;
  if (identity_mode !== undefined && identity_mode !== 'user_id' && identity_mode !== 'open_id')
    fail('app.identity_mode must be user_id or open_id');
  if (typeof app_id !== 'string' || !/^\d{10,32}$/.test(app_id)) fail('app.app_id must be 10 to 32 digits');
  const has_key = typeof app_public_key_pem === 'string' && app_public_key_pem !== '';
  const has_cert = typeof app_cert_pem === 'string' && app_cert_pem !== '';
  if (has_key === has_cert) fail('app needs exactly one of app_public_key_pem and app_cert_pem');
  let public_key: KeyObject;
  let app_cert_sn: string | undefined;
  try {
    public_key = publicKeyOf((has_cert ? app_cert_pem : app_public_key_pem) as string);
    if (has_cert) app_cert_sn = certSnOf(app_cert_pem as string);
  } catch {
    fail(
      has_cert ? 'app.app_cert_pem is not a PEM certificate' : 'app.app_public_key_pem is not a public key',
    );
  }
  if (seller_id !== undefined && (typeof seller_id !== 'string' || !/^2088\d{12}$/.test(seller_id)))
    fail('app.seller_id must be 2088 and 12 digits');
  if (notify !== undefined && notify !== 'on' && notify !== 'off') fail('app.notify must be on or off');
  const tokens = new Map<string, string>();
  if (app_auth_tokens !== undefined) {
    if (!isRecord(app_auth_tokens)) fail('app.app_auth_tokens must map tokens to app ids');
    for (const [token, merchant_app_id] of Object.entries(app_auth_tokens)) {
      if (tokens.size >= AUTH_TOKENS_MAX) fail(`app.app_auth_tokens holds at most ${AUTH_TOKENS_MAX}`);
      if (
        !/^[\x21-\x7e]{1,128}$/.test(token) ||
        typeof merchant_app_id !== 'string' ||
        !/^\d{10,32}$/.test(merchant_app_id)
      )
        fail('app.app_auth_tokens must map tokens to app ids');
      tokens.set(token, merchant_app_id);
    }
  }
  return {
    app_id,
    public_key,
    ...(app_cert_sn !== undefined ? { app_cert_sn } : {}),
    seller_id: (seller_id as string | undefined) ?? default_seller_id,
    notify: (notify as 'on' | 'off' | undefined) ?? 'on',
    app_auth_tokens: tokens,
    identity_mode: (identity_mode as 'user_id' | 'open_id' | undefined) ?? 'user_id',
  };
}

export class AppBook {
  private readonly apps = new Map<string, SimApp>();

  /** Adds or replaces (key rotation) an app. */
  register(app: SimApp): SimApp {
    if (!this.apps.has(app.app_id) && this.apps.size >= APPS_MAX)
      fail(`the simulator holds at most ${APPS_MAX} apps`);
    this.apps.set(app.app_id, app);
    return app;
  }

  get(app_id: string): SimApp | undefined {
    return this.apps.get(app_id);
  }
}
