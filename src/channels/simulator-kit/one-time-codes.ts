import type { Clock } from '../../domain/clock.ts';
import type { Random } from '../../domain/random.ts';

/**
 * One-time, short-lived codes as the wallets hand them out after a user authorisation (WeChat
 * OAuth `code`, Alipay `auth_code`, UnionPay `userAuthCode`): each is bound to what it was issued
 * for, can be redeemed once, and expires. A redeemed code is remembered until it would have
 * expired, so a second use is told apart from a code that never existed.
 */
export type Redeemed<T> = { ok: true; data: T } | { ok: false; reason: 'unknown' | 'used' | 'expired' };

interface Entry<T> {
  data: T;
  expires_at_ms: number;
  used: boolean;
}

/** Codes held at once; past this the oldest are forgotten (they then redeem as unknown). */
export const ONE_TIME_CODES_MAX = 10_000;
const CODE_CHARS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

export class OneTimeCodes<T> {
  readonly #codes = new Map<string, Entry<T>>();

  constructor(
    private readonly clock: Clock,
    private readonly random: Random,
    private readonly ttl_ms: number,
    private readonly length = 32,
  ) {}

  /** A new code bound to `data`. */
  issue(data: T): string {
    const bytes = this.random.bytes(this.length);
    let code = '';
    for (const b of bytes) code += CODE_CHARS[b % CODE_CHARS.length];
    this.prune();
    this.#codes.set(code, { data, expires_at_ms: this.clock.now_ms() + this.ttl_ms, used: false });
    return code;
  }

  /** What the code was issued for, without using it up. */
  peek(code: string): Redeemed<T> {
    const entry = this.#codes.get(code);
    if (!entry) return { ok: false, reason: 'unknown' };
    if (entry.used) return { ok: false, reason: 'used' };
    if (this.clock.now_ms() >= entry.expires_at_ms) return { ok: false, reason: 'expired' };
    return { ok: true, data: entry.data };
  }

  /** Uses the code up: the first redemption succeeds, later ones answer "used". */
  redeem(code: string): Redeemed<T> {
    const seen = this.peek(code);
    if (seen.ok) this.#codes.get(code)!.used = true;
    return seen;
  }

  private prune(): void {
    const now_ms = this.clock.now_ms();
    for (const [code, entry] of this.#codes) {
      if (this.#codes.size < ONE_TIME_CODES_MAX && entry.expires_at_ms > now_ms) break;
      if (entry.expires_at_ms <= now_ms || this.#codes.size >= ONE_TIME_CODES_MAX) this.#codes.delete(code);
    }
  }
}

/**
 * Puts `params` into the query of `target` BEFORE any `#fragment`, as the wallets do when they
 * send the payer back (a code put after the `#` would never reach the server).
 */
export function withQuery(target: string, params: Readonly<Record<string, string>>): string {
  const hash_at = target.indexOf('#');
  const base = hash_at === -1 ? target : target.slice(0, hash_at);
  const fragment = hash_at === -1 ? '' : target.slice(hash_at);
  const query = new URLSearchParams(params).toString();
  if (query === '') return target;
  const joiner = base.includes('?') ? (base.endsWith('?') || base.endsWith('&') ? '' : '&') : '?';
  return `${base}${joiner}${query}${fragment}`;
}

/** An absolute http(s) URL the wallet may send the payer's browser to, or null. */
export function redirectTarget(value: unknown): string | null {
  if (typeof value !== 'string' || value === '' || value.length > 2048) return null;
  try {
    const url = new URL(value);
    return url.protocol === 'http:' || url.protocol === 'https:' ? value : null;
  } catch {
    return null;
  }
}
