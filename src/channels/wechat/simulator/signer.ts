import type { Clock } from '../../../domain/clock.ts';
import { unixSeconds } from '../../../domain/clock.ts';
import { alphanumericNonce, type Random } from '../../../domain/random.ts';
import { AUTHORIZATION_SCHEME, responseMessage, signSha256Rsa } from '../crypto.ts';
import type { PlatformKeyPair } from './platform-key.ts';

/**
 * Signs what the simulated WeChat Pay sends — every API reply and every notification — the way
 * the real one does (protocols.md §1.3): Wechatpay-Timestamp/Nonce/Signature/Serial over
 * `TIMESTAMP\nNONCE\nBODY\n` with the platform private key, plus a Request-ID.
 */
/** One key WeChat signs with: the public key (id `PUB_KEY_ID_…`) or a platform certificate (its serial). */
export interface SigningKey {
  id: string;
  private_key_pem: string;
}

export class PlatformSigner {
  constructor(
    readonly key: PlatformKeyPair,
    private readonly clock: Clock,
    private readonly random: Random,
  ) {}

  /** The public key: signs unless a merchant is in certificate mode. */
  get publicKey(): SigningKey {
    return { id: this.key.public_key_id, private_key_pem: this.key.private_key_pem };
  }

  /** Headers for `body`, which must be sent byte for byte as given. */
  async headersFor(body: string, with_key: SigningKey = this.publicKey): Promise<Record<string, string>> {
    const timestamp = String(unixSeconds(this.clock));
    const nonce = alphanumericNonce(this.random, 32);
    const signature = await signSha256Rsa(responseMessage(timestamp, nonce, body), with_key.private_key_pem);
    return {
      'wechatpay-timestamp': timestamp,
      'wechatpay-nonce': nonce,
      'wechatpay-signature': signature,
      'wechatpay-serial': with_key.id,
      'wechatpay-signature-type': AUTHORIZATION_SCHEME,
      'request-id': this.random.bytes(16).toString('hex').toUpperCase(),
    };
  }
}
