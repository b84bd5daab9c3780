import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

/**
 * The simulator's own "WeChat Pay public key" (protocols.md §1.4): an RSA-2048 pair whose public
 * half merchants configure, with an id of the real shape `PUB_KEY_ID_` + digits. The id is derived
 * from the public key, so reloading the key file after a restart presents the same id and the
 * merchants configured against it keep working.
 *
 * Key file: JSON `{"public_key_id", "private_key_pem"}` (the id is informational; it is always
 * re-derived). A file holding just a PEM private key is accepted too.
 *
 * Key generation uses node's CSPRNG, not the injected Random: node cannot seed RSA key generation.
 * Pass a key file for a fixed key.
 */
export interface PlatformKeyPair {
  public_key_id: string;
  public_key_pem: string;
  private_key_pem: string;
}

const KEY_ID_DIGITS = 28;

/** `PUB_KEY_ID_` + 28 decimal digits taken from SHA-256 of the public key's DER. */
export function publicKeyIdOf(public_key_pem: string): string {
  const der = createPublicKey(public_key_pem).export({ type: 'spki', format: 'der' });
  const digest = BigInt(`0x${createHash('sha256').update(der).digest('hex')}`);
  return `PUB_KEY_ID_${(digest % 10n ** BigInt(KEY_ID_DIGITS)).toString().padStart(KEY_ID_DIGITS, '0')}`;
}

export function platformKeyFromPrivatePem(private_key_pem: string): PlatformKeyPair {
  const private_key = createPrivateKey(private_key_pem);
  if (private_key.asymmetricKeyType !== 'rsa') throw new Error('the platform key must be an RSA private key');
  const public_key_pem = createPublicKey(private_key).export({ type: 'spki', format: 'pem' }).toString();
  return { public_key_id: publicKeyIdOf(public_key_pem), public_key_pem, private_key_pem };
}

export function generatePlatformKey(): PlatformKeyPair {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return platformKeyFromPrivatePem(privateKey.export({ type: 'pkcs8', format: 'pem' }).toString());
}

function readKeyFile(file: string): PlatformKeyPair {
  const text = readFileSync(file, 'utf8');
  if (text.trimStart().startsWith('{')) {
    const parsed = JSON.parse(text) as { private_key_pem?: unknown };
    if (typeof parsed.private_key_pem !== 'string')
      throw new Error(`platform key file ${file} has no private_key_pem`);
    return platformKeyFromPrivatePem(parsed.private_key_pem);
  }
  return platformKeyFromPrivatePem(text);
}

/** Loads the key from `file`, or generates one (and writes it there, mode 0600, when a file is named). */
export function loadOrCreatePlatformKey(file?: string): PlatformKeyPair {
  if (file === undefined) return generatePlatformKey();
  try {
    return readKeyFile(file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  const key = generatePlatformKey();
  const content = `${JSON.stringify({ public_key_id: key.public_key_id, private_key_pem: key.private_key_pem }, null, 2)}\n`;
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  try {
    // 'wx' refuses to overwrite: if another process created the file meanwhile, use its key.
    writeFileSync(file, content, { mode: 0o600, flag: 'wx' });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return readKeyFile(file);
    throw error;
  }
  return key;
}
