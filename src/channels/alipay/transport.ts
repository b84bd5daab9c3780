import { HttpClientError, httpRequest } from '../http-client.ts';
import type { ChannelContext } from '../types.ts';
import type { AlipayConfig } from './config.ts';
import { verifyRsa2 } from './crypto.ts';
import { formEncode, signedParams } from './request.ts';
import { extractSignedResponse } from './response-text.ts';
import { type GatewayResult, parseJson, readGatewayResult } from './wire.ts';

/**
 * One signed exchange with the Alipay gateway: sign the request, POST it form-encoded, and verify
 * the reply's signature over the raw `*_response` text (protocols.md §3.3) before anyone reads it.
 * A reply that does not verify is treated exactly like no reply: a forged 10000 must not pay an
 * order, and a forged 40004 must not fail one.
 */

export type AlipayCall =
  /** A reply Alipay provably signed. */
  | { kind: 'answered'; result: GatewayResult }
  /** Nothing we may trust: transport failure, non-200, unsigned or unverifiable reply. */
  | { kind: 'no_answer'; reason: string };

const USER_AGENT = 'paymux-alipay/0.1 (+https://github.com/paymux/paymux)';

export async function callAlipay(
  ctx: ChannelContext,
  config: AlipayConfig,
  method: string,
  biz_content: object,
  notify_url?: string,
): Promise<AlipayCall> {
  const params = await signedParams(
    ctx.clock,
    config,
    method,
    biz_content,
    notify_url !== undefined ? { notify_url } : {},
  );
  let response: Awaited<ReturnType<typeof httpRequest>>;
  try {
    response = await httpRequest({
      method: 'POST',
      url: config.gateway_url,
      headers: {
        'content-type': 'application/x-www-form-urlencoded;charset=utf-8',
        accept: 'application/json',
        'user-agent': USER_AGENT,
      },
      body: formEncode(params),
      timeout_ms: ctx.timeout_ms,
      timing: ctx.timing,
    });
  } catch (error) {
    if (error instanceof HttpClientError)
      return { kind: 'no_answer', reason: `${error.kind}: ${error.message}` };
    throw error;
  }
  if (response.status !== 200) return { kind: 'no_answer', reason: `${method}: HTTP ${response.status}` };
  return verifyReply(config, method, response.body);
}

/** The verified business object of a raw gateway reply to `method`. */
export function verifyReply(config: AlipayConfig, method: string, body: string): AlipayCall {
  const signed = extractSignedResponse(body, method);
  if (!signed) return { kind: 'no_answer', reason: `${method}: reply is not a gateway response` };
  const result = readGatewayResult(parseJson(signed.signed_text));
  if (signed.sign === undefined) {
    // Gateway-level errors may come unsigned; we report the code but cannot act on it.
    const code = result ? ` (${result.code}${result.sub_code ? ` ${result.sub_code}` : ''})` : '';
    return { kind: 'no_answer', reason: `${method}: unsigned ${signed.key}${code}` };
  }
  if (
    config.alipay_cert_sn !== undefined &&
    signed.alipay_cert_sn !== undefined &&
    signed.alipay_cert_sn !== config.alipay_cert_sn
  ) {
    // Alipay rotated its certificate: the new one must be configured before we trust its replies.
    return { kind: 'no_answer', reason: `${method}: reply signed under another Alipay certificate` };
  }
  if (!verifyRsa2(signed.signed_text, signed.sign, config.alipay_public_key)) {
    return { kind: 'no_answer', reason: `${method}: reply signature does not verify` };
  }
  if (!result) return { kind: 'no_answer', reason: `${method}: signed reply has no code` };
  return { kind: 'answered', result };
}
