import { unixSeconds } from '../../domain/clock.ts';
import { alphanumericNonce } from '../../domain/random.ts';
import { HttpClientError, httpRequest } from '../http-client.ts';
import type { ChannelContext } from '../types.ts';
import type { WechatConfig } from './config.ts';
import { buildAuthorization, requestMessage, signSha256Rsa } from './crypto.ts';

/**
 * The headers of one signed APIv3 request (protocols.md §1.2): the Authorization over
 * `METHOD\nURL\nTIMESTAMP\nNONCE\nBODY\n` with the merchant key. Used for API calls and for the
 * bill file download alike (that one is signed like any request, though its reply is not).
 */
const USER_AGENT = 'paymux-wechatpay/0.1 (+https://github.com/paymux/paymux)';

export async function signedHeaders(
  ctx: ChannelContext,
  config: WechatConfig,
  method: 'GET' | 'POST',
  url: URL,
  body?: string,
): Promise<Record<string, string>> {
  // Sign exactly what goes on the wire: the client sends pathname + search verbatim.
  const canonical_url = url.pathname + url.search;
  const timestamp = String(unixSeconds(ctx.clock));
  const nonce = alphanumericNonce(ctx.random, 32);
  const signature = await signSha256Rsa(
    requestMessage(method, canonical_url, timestamp, nonce, body ?? ''),
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
  };
  // Tells WeChat which of its keys we can verify (the Go SDK sends it too).
  if (config.wechatpay_public_key_id !== undefined)
    headers['wechatpay-serial'] = config.wechatpay_public_key_id;
  if (body !== undefined) headers['content-type'] = 'application/json';
  return headers;
}

export interface RawReply {
  status: number;
  headers: Record<string, string>;
  body: string;
}

export type NoAnswer = { kind: 'no_answer'; reason: string };

/** Signs and sends; the reply is NOT verified: every caller verifies it before reading it. */
export async function sendSigned(
  ctx: ChannelContext,
  config: WechatConfig,
  method: 'GET' | 'POST',
  path_with_query: string,
  body?: string,
): Promise<RawReply | NoAnswer> {
  const url = new URL(path_with_query, config.api_base_url);
  const headers = await signedHeaders(ctx, config, method, url, body);
  try {
    return await httpRequest({
      method,
      url: url.href,
      headers,
      body,
      timeout_ms: ctx.timeout_ms,
      timing: ctx.timing,
    });
  } catch (error) {
    if (error instanceof HttpClientError)
      return { kind: 'no_answer', reason: `${error.kind}: ${error.message}` };
    throw error;
  }
}
