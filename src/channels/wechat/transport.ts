import { unixSeconds } from '../../domain/clock.ts';
import { alphanumericNonce } from '../../domain/random.ts';
import { HttpClientError, httpRequest } from '../http-client.ts';
import type { ChannelContext } from '../types.ts';
import type { WechatConfig } from './config.ts';
import { buildAuthorization, requestMessage, signSha256Rsa } from './crypto.ts';
import { verifyWechatpaySignature } from './verify.ts';
import { parseJson } from './wire.ts';

/**
 * One signed exchange with WeChat Pay APIv3: sign the request (protocols.md §1.2), send it, and
 * verify the reply (§1.3) before anyone reads it. A reply that does not verify is treated exactly
 * like no reply, whatever its status: a forged 2xx must not create a payment, and a forged 4xx must
 * not fail one.
 */

export type WechatCall =
  /** A reply WeChat provably signed. `json` is undefined when the body is empty or not JSON. */
  | { kind: 'answered'; status: number; body: string; json: unknown }
  /** Nothing we may trust: transport failure or an unverifiable reply. */
  | { kind: 'no_answer'; reason: string };

const USER_AGENT = 'paymux-wechatpay/0.1 (+https://github.com/paymux/paymux)';

export async function callWechat(
  ctx: ChannelContext,
  config: WechatConfig,
  method: 'GET' | 'POST',
  path_with_query: string,
  body?: string,
): Promise<WechatCall> {
  const url = new URL(path_with_query, config.api_base_url);
  // Sign exactly what goes on the wire: the client sends pathname + search verbatim.
  const canonical_url = url.pathname + url.search;
  const timestamp = String(unixSeconds(ctx.clock));
  const nonce = alphanumericNonce(ctx.random, 32);
  const payload = body ?? '';
  const signature = await signSha256Rsa(
    requestMessage(method, canonical_url, timestamp, nonce, payload),
    config.merchant_private_key_pem,
  );
  const headers: Record<string, string> = {
    accept: 'application/json',
    'user-agent': USER_AGENT,
    authorization: buildAuthorization({
      mchid: config.mchid,
      nonce_str: nonce,
      timestamp,
      serial_no: config.merchant_serial_no,
      signature,
    }),
    // Tells WeChat which of its keys we can verify (the Go SDK sends it too).
    'wechatpay-serial': config.wechatpay_public_key_id,
  };
  if (body !== undefined) headers['content-type'] = 'application/json';

  let response: Awaited<ReturnType<typeof httpRequest>>;
  try {
    response = await httpRequest({ method, url: url.href, headers, body, timeout_ms: ctx.timeout_ms });
  } catch (error) {
    if (error instanceof HttpClientError)
      return { kind: 'no_answer', reason: `${error.kind}: ${error.message}` };
    throw error;
  }
  const check = verifyWechatpaySignature(
    response.headers,
    response.body,
    { id: config.wechatpay_public_key_id, public_key_pem: config.wechatpay_public_key_pem },
    unixSeconds(ctx.clock),
  );
  if (!check.ok) {
    return {
      kind: 'no_answer',
      reason: `HTTP ${response.status} reply not verified (${check.reason}): ${check.detail}`,
    };
  }
  return {
    kind: 'answered',
    status: response.status,
    body: response.body,
    json: response.body === '' ? undefined : parseJson(response.body),
  };
}
