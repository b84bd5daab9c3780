import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

/**
 * Seals secrets at rest (app HMAC secrets, channel keys) with AES-256-GCM under the master key.
 * The associated data binds a sealed value to where it belongs (e.g. "app:app_01…"), so a value
 * copied into another row does not open. Format: `v1.<iv b64url>.<ciphertext b64url>.<tag b64url>`.
 */
export const MASTER_KEY_BYTES = 32;

export class SecretBox {
  readonly #key: Buffer;
  constructor(master_key: Buffer) {
    if (master_key.length !== MASTER_KEY_BYTES)
      throw new Error(`the master key must be ${MASTER_KEY_BYTES} bytes`);
    this.#key = Buffer.from(master_key);
  }

  seal(plaintext: string, associated_data: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.#key, iv);
    cipher.setAAD(Buffer.from(associated_data, 'utf8'));
    const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return [
      'v1',
      iv.toString('base64url'),
      ciphertext.toString('base64url'),
      cipher.getAuthTag().toString('base64url'),
    ].join('.');
  }

  open(sealed: string, associated_data: string): string {
    const parts = sealed.split('.');
    if (parts.length !== 4 || parts[0] !== 'v1') throw new Error('sealed secret has an unknown format');
    const decipher = createDecipheriv('aes-256-gcm', this.#key, Buffer.from(parts[1]!, 'base64url'));
    decipher.setAAD(Buffer.from(associated_data, 'utf8'));
    decipher.setAuthTag(Buffer.from(parts[3]!, 'base64url'));
    try {
      return Buffer.concat([decipher.update(Buffer.from(parts[2]!, 'base64url')), decipher.final()]).toString(
        'utf8',
      );
    } catch {
      throw new Error(
        'sealed secret does not open with this master key (wrong key, or the value was moved or altered)',
      );
    }
  }
}
