import { HttpClientError, httpRequest } from '../http-client.ts';
import type { ChannelContext } from '../types.ts';
import type { UnionpayConfig } from './config.ts';
import { ACCESS_TYPE_DIRECT, ACP_ENCODING, ACP_VERSION, SIGN_METHOD_RSA } from './constants.ts';
import { SIGNATURE_FIELD, signAcp } from './crypto.ts';
import { type AcpFields, decodeForm, encodeForm, FORM_CONTENT_TYPE } from './form.ts';
import { verifyUnionpayMessage } from './verify.ts';

/**
 * One signed exchange with the ACP gateway: add the common fields, sign (U1), POST the form, and
 * verify the reply (U2) before anyone reads it. A reply that does not verify, or that speaks of
 * another merchant, is treated exactly like no reply: a forged 00 must not mark a payment paid,
 * and a forged failure must not fail one.
 */
export type UnionpayCall = { kind: 'answered'; fields: AcpFields } | { kind: 'no_answer'; reason: string };

const USER_AGENT = 'paymux-unionpay/0.1 (+https://github.com/paymux/paymux)';

/** The fields every request carries, before the transaction's own. */
export function commonFields(config: UnionpayConfig): AcpFields {
  return {
    version: ACP_VERSION,
    encoding: ACP_ENCODING,
    signMethod: SIGN_METHOD_RSA,
    certId: config.cert_id,
    accessType: ACCESS_TYPE_DIRECT,
    merId: config.mer_id,
  };
}

export async function signedForm(config: UnionpayConfig, fields: AcpFields): Promise<string> {
  const signature = await signAcp(fields, config.sign_private_key_pem);
  return encodeForm({ ...fields, [SIGNATURE_FIELD]: signature });
}

export interface CallOptions {
  body_limit_bytes?: number;
}

export async function callUnionpay(
  ctx: ChannelContext,
  config: UnionpayConfig,
  path: string,
  transaction_fields: AcpFields,
  options: CallOptions = {},
): Promise<UnionpayCall> {
  const fields = { ...commonFields(config), ...transaction_fields };
  const body = await signedForm(config, fields);
  let response: Awaited<ReturnType<typeof httpRequest>>;
  try {
    response = await httpRequest({
      method: 'POST',
      url: `${config.gateway_base_url}${path}`,
      headers: { 'content-type': FORM_CONTENT_TYPE, 'user-agent': USER_AGENT },
      body,
      timeout_ms: ctx.timeout_ms,
      timing: ctx.timing,
      ...(options.body_limit_bytes !== undefined ? { body_limit_bytes: options.body_limit_bytes } : {}),
    });
  } catch (error) {
    if (error instanceof HttpClientError)
      return { kind: 'no_answer', reason: `${error.kind}: ${error.message}` };
    throw error;
  }
  if (response.status !== 200) return { kind: 'no_answer', reason: `HTTP ${response.status}` };
  const answer = decodeForm(response.body);
  if (!answer) return { kind: 'no_answer', reason: 'reply is not a form' };
  const check = verifyUnionpayMessage(answer, config.anchors, ctx.clock.now_ms());
  if (!check.ok)
    return { kind: 'no_answer', reason: `reply not verified (${check.reason}): ${check.detail}` };
  // A signed answer about another merchant is still not an answer to us.
  if (answer.merId !== undefined && answer.merId !== config.mer_id) {
    return { kind: 'no_answer', reason: 'reply names another merId' };
  }
  return { kind: 'answered', fields: answer };
}

/** `respCode respMsg` for reasons and messages. */
export function describe(fields: AcpFields): string {
  return `respCode=${fields.respCode ?? '(none)'} ${fields.respMsg ?? ''}`.trim();
}
