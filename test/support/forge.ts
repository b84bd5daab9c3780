import { aeadDecrypt, aeadEncrypt } from '../../src/channels/wechat/crypto.ts';
import { platformKeyFromPrivatePem } from '../../src/channels/wechat/simulator/platform-key.ts';
import { PlatformSigner } from '../../src/channels/wechat/simulator/signer.ts';
import { ManualClock } from '../../src/domain/clock.ts';
import { SeededRandom } from '../../src/domain/random.ts';
import type { CapturedRequest } from './recording-proxy.ts';

/**
 * Makes a new WeChat Pay notification out of a captured genuine one: its resource decrypted,
 * changed, sealed again and signed with the platform key — the strongest forgery there is (a
 * valid signature on a lie), which the gateway must still refuse by comparing with its record.
 */
export async function reforgeWechatNotification(
  original: CapturedRequest,
  keys: { apiv3_key: string; platform_private_key_pem: string },
  change: { transaction?: (t: Record<string, unknown>) => void; timestamp_s?: number; seed?: number },
): Promise<CapturedRequest> {
  const envelope = JSON.parse(original.body) as {
    resource: { ciphertext: string; nonce: string; associated_data: string };
  };
  const transaction = JSON.parse(
    aeadDecrypt(
      envelope.resource.ciphertext,
      keys.apiv3_key,
      envelope.resource.nonce,
      envelope.resource.associated_data,
    ),
  ) as Record<string, unknown>;
  change.transaction?.(transaction);
  envelope.resource.ciphertext = aeadEncrypt(
    JSON.stringify(transaction),
    keys.apiv3_key,
    envelope.resource.nonce,
    envelope.resource.associated_data,
  );
  const body = JSON.stringify(envelope);
  const clock = new ManualClock((change.timestamp_s ?? Math.floor(Date.now() / 1000)) * 1000);
  const signer = new PlatformSigner(
    platformKeyFromPrivatePem(keys.platform_private_key_pem),
    clock,
    new SeededRandom(change.seed ?? 1),
  );
  const headers = { ...original.headers, ...(await signer.headersFor(body)) };
  return { path: original.path, headers, body };
}
