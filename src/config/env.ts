import { join, resolve } from 'node:path';

/**
 * Configuration comes from the environment and is checked once at boot. A bad value stops the
 * start with a message naming the variable and what it should hold.
 */
export interface Config {
  host: string;
  port: number;
  /**
   * Base URL the outside world reaches this gateway at: channel notify URLs and QR links use it.
   * Null when not set: then it is the address the gateway listens on.
   */
  public_url: string | null;
  /** `postgres://…` or a SQLite file path. */
  database_url: string;
  data_dir: string;
  /** Base64 of 32 bytes, or null to use (and on first start create) master_key_file. */
  master_key_base64: string | null;
  master_key_file: string;
  log_level: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  channel_timeout_ms: number;
  /**
   * Background checks (channel queries and closes at expiry) the sync job may run per second, of
   * payments and as many of refunds. An unpaid QR code takes about 20 over its default two hours.
   */
  sync_checks_per_s: number;
  /** Merchant request bodies over this are refused with REQUEST_BODY_TOO_LARGE. */
  body_limit_bytes: number;
  /** Run the channel simulators in this process (the demo and tests). */
  simulators: boolean;
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const data_dir = resolve(env.PAYMUX_DATA_DIR ?? 'data');
  const host = env.PAYMUX_HOST ?? '127.0.0.1';
  const port = integer(env, 'PAYMUX_PORT', 3000, 0, 65535);
  const log_level = env.PAYMUX_LOG_LEVEL ?? 'info';
  if (!(LOG_LEVELS as readonly string[]).includes(log_level)) {
    throw new ConfigError(`PAYMUX_LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}; got "${log_level}"`);
  }
  const database_url = env.DATABASE_URL ?? join(data_dir, 'paymux.sqlite');
  if (database_url.includes('://') && !/^postgres(ql)?:\/\//.test(database_url)) {
    throw new ConfigError(
      'DATABASE_URL must be postgres://user@host:port/db, or a SQLite file path; other databases are not supported',
    );
  }
  const master_key_base64 = env.PAYMUX_MASTER_KEY ?? null;
  if (master_key_base64 !== null && Buffer.from(master_key_base64, 'base64').length !== 32) {
    throw new ConfigError('PAYMUX_MASTER_KEY must be 32 random bytes in base64 (openssl rand -base64 32)');
  }
  const public_url = env.PAYMUX_PUBLIC_URL ? env.PAYMUX_PUBLIC_URL.replace(/\/+$/, '') : null;
  if (public_url !== null && !/^https?:\/\/[^/]+/.test(public_url)) {
    throw new ConfigError(
      `PAYMUX_PUBLIC_URL must be an http(s) URL such as https://pay.example.com; got "${public_url}"`,
    );
  }
  return {
    host,
    port,
    public_url,
    database_url,
    data_dir,
    master_key_base64,
    master_key_file: env.PAYMUX_MASTER_KEY_FILE ?? join(data_dir, 'master.key'),
    log_level: log_level as Config['log_level'],
    channel_timeout_ms: integer(env, 'PAYMUX_CHANNEL_TIMEOUT_MS', 10_000, 100, 120_000),
    sync_checks_per_s: integer(env, 'PAYMUX_SYNC_CHECKS_PER_S', 32, 1, 2_000),
    body_limit_bytes: 65_536,
    simulators: (env.PAYMUX_SIMULATORS ?? 'on') !== 'off',
  };
}

function integer(env: NodeJS.ProcessEnv, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (!/^\d+$/.test(raw) || Number(raw) < min || Number(raw) > max) {
    throw new ConfigError(`${name} must be a whole number from ${min} to ${max}; got "${raw}"`);
  }
  return Number(raw);
}
