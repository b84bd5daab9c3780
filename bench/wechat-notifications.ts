import { aeadEncrypt } from '../src/channels/wechat/crypto.ts';
import { loadOrCreatePlatformKey } from '../src/channels/wechat/simulator/platform-key.ts';
import { PlatformSigner } from '../src/channels/wechat/simulator/signer.ts';
import { toRfc3339Beijing } from '../src/channels/wechat/time.ts';
import { systemClock } from '../src/domain/clock.ts';
import { alphanumericNonce, secureRandom } from '../src/domain/random.ts';

/**
 * Genuine WeChat Pay TRANSACTION.SUCCESS notifications for the notify scenario, made ahead of the
 * measured run with the simulator's own platform key (each costs an RSA signature, which belongs
 * to WeChat's side, not to the gateway's).
 */
export interface PreparedRequest {
  path: string;
  headers: Record<string, string>;
  body: string;
}

export interface NotificationTarget {
  account_id: string;
  mchid: string;
  appid: string;
  apiv3_key: string;
}

/** One notification per payment, for the account `targets[payment.merchant ?? 0]`. */
export async function makeWechatNotifications(
  platform_key_file: string,
  targets: NotificationTarget[],
  payments: Array<{ id: string; amount_fen: number; merchant?: number }>,
): Promise<PreparedRequest[]> {
  const signer = new PlatformSigner(loadOrCreatePlatformKey(platform_key_file), systemClock, secureRandom);
  const out: PreparedRequest[] = [];
  // Signing runs on the thread pool; keep a bounded number in flight.
  const IN_FLIGHT_MAX = 8;
  for (let i = 0; i < payments.length; i += IN_FLIGHT_MAX) {
    const slice = payments.slice(i, i + IN_FLIGHT_MAX);
    out.push(
      ...(await Promise.all(
        slice.map(async (p, j) => {
          const target = targets[p.merchant ?? 0]!;
          const path = `/v1/channel-notify/wechat/${target.account_id}`;
          const transaction = {
            appid: target.appid,
            mchid: target.mchid,
            out_trade_no: p.id,
            transaction_id: `42000${String(i + j).padStart(23, '0')}`,
            trade_type: 'NATIVE',
            trade_state: 'SUCCESS',
            trade_state_desc: '支付成功',
            bank_type: 'OTHERS',
            success_time: toRfc3339Beijing(Date.now()),
            payer: { openid: 'oBenchPayer000000000000000000' },
            amount: {
              total: p.amount_fen,
              payer_total: p.amount_fen,
              currency: 'CNY',
              payer_currency: 'CNY',
            },
          };
          const nonce = alphanumericNonce(secureRandom, 12);
          const body = JSON.stringify({
            id: `EV-${i + j}`,
            create_time: toRfc3339Beijing(Date.now()),
            resource_type: 'encrypt-resource',
            event_type: 'TRANSACTION.SUCCESS',
            summary: '支付成功',
            resource: {
              algorithm: 'AEAD_AES_256_GCM',
              original_type: 'transaction',
              ciphertext: aeadEncrypt(JSON.stringify(transaction), target.apiv3_key, nonce, 'transaction'),
              nonce,
              associated_data: 'transaction',
            },
          });
          return {
            path,
            headers: { 'content-type': 'application/json', ...(await signer.headersFor(body)) },
            body,
          };
        }),
      )),
    );
  }
  return out;
}
