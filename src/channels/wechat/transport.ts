import type { ChannelContext } from '../types.ts';
import type { WechatConfig } from './config.ts';
import { verifyFromWechat } from './keyring.ts';
import { sendSigned } from './signed-request.ts';
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

export async function callWechat(
  ctx: ChannelContext,
  config: WechatConfig,
  method: 'GET' | 'POST',
  path_with_query: string,
  body?: string,
): Promise<WechatCall> {
  const response = await sendSigned(ctx, config, method, path_with_query, body);
  if ('kind' in response) return response;
  const check = await verifyFromWechat(ctx, config, response.headers, response.body);
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
