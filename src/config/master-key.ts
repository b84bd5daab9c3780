import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { MASTER_KEY_BYTES } from '../storage/secret-box.ts';
import { type Config, ConfigError } from './env.ts';

/**
 * The master key seals every secret at rest. From PAYMUX_MASTER_KEY if set; otherwise from the key
 * file, created on first start with mode 0600. Losing it makes sealed secrets unreadable: back it
 * up apart from the database.
 */
export function loadMasterKey(config: Config): { key: Buffer; created: boolean } {
  if (config.master_key_base64 !== null)
    return { key: Buffer.from(config.master_key_base64, 'base64'), created: false };
  const file = config.master_key_file;
  if (!existsSync(file)) {
    mkdirSync(dirname(file), { recursive: true });
    const key = randomBytes(MASTER_KEY_BYTES);
    writeFileSync(file, `${key.toString('base64')}\n`, { mode: 0o600, flag: 'wx' });
    chmodSync(file, 0o600);
    return { key, created: true };
  }
  const mode = statSync(file).mode & 0o777;
  if ((mode & 0o077) !== 0) {
    throw new ConfigError(`${file} is readable by others (mode ${mode.toString(8)}); run: chmod 600 ${file}`);
  }
  const key = Buffer.from(readFileSync(file, 'utf8').trim(), 'base64');
  if (key.length !== MASTER_KEY_BYTES) throw new ConfigError(`${file} must hold 32 bytes in base64`);
  return { key, created: false };
}
