import { timingSafeEqual } from 'node:crypto';
import { alphanumericNonce } from '../../domain/random.ts';
import { HttpClientError } from '../http-client.ts';
import type { ChannelContext } from '../types.ts';
import type { WechatConfig } from './config.ts';
import { type V2SignType, v2Sign } from './crypto.ts';
import { rawHttpRequest } from './raw-http.ts';
import { buildV2Xml, parseV2Xml, V2XmlError } from './xml.ts';

/**
 * One APIv2 exchange (protocols.md §2): sign the fields (MD5 or HMAC-SHA256 with the APIv2 key),
 * POST them as XML, and read the reply in the only safe order — strict XML (no DOCTYPE, no
 * entities), then the sign, and only then any field. WeChat leaves `sign` off some FAIL replies;
 * an unsigned reply is no answer, since nothing in it can be trusted.
 */
export type V2Call =
  | { kind: 'answered'; fields: Readonly<Record<string, string>> }
  | { kind: 'no_answer'; reason: string };

const V2_REPLY_BYTES_MAX = 64 * 1024;

/** Constant-time comparison of two upper-case hex signs. */
export function v2SignMatches(
  fields: Readonly<Record<string, string | undefined>>,
  api_key: string,
  type: V2SignType,
): boolean {
  const given = fields.sign;
  if (given === undefined || !/^[0-9A-Fa-f]{32,64}$/.test(given)) return false;
  const expected = Buffer.from(v2Sign(fields, api_key, type), 'utf8');
  const actual = Buffer.from(given.toUpperCase(), 'utf8');
  return expected.length === actual.length && timingSafeEqual(expected, actual);
}

/** The request fields with nonce_str, sign_type and sign added. */
export function signedV2Fields(
  ctx: ChannelContext,
  config: WechatConfig,
  fields: Readonly<Record<string, string | undefined>>,
): Record<string, string | undefined> {
  const signed: Record<string, string | undefined> = {
    ...fields,
    nonce_str: alphanumericNonce(ctx.random, 32),
    sign_type: config.v2_sign_type,
  };
  signed.sign = v2Sign(signed, config.api_v2_key!, config.v2_sign_type);
  return signed;
}

export async function callWechatV2(
  ctx: ChannelContext,
  config: WechatConfig,
  path: string,
  fields: Readonly<Record<string, string | undefined>>,
  options: { client_certificate?: boolean } = {},
): Promise<V2Call> {
  if (config.api_v2_key === undefined) return { kind: 'no_answer', reason: 'api_v2_key is not configured' };
  const body = buildV2Xml(signedV2Fields(ctx, config, fields));
  const https = config.api_base_url.startsWith('https:');
  let reply: Awaited<ReturnType<typeof rawHttpRequest>>;
  try {
    reply = await rawHttpRequest({
      method: 'POST',
      url: new URL(path, config.api_base_url).href,
      headers: { 'content-type': 'text/xml; charset=utf-8', accept: 'text/xml' },
      body,
      timeout_ms: ctx.timeout_ms,
      body_limit_bytes: V2_REPLY_BYTES_MAX,
      // /secapi calls need the merchant API certificate over TLS (mutual TLS).
      ...(options.client_certificate && https && config.merchant_cert_pem !== undefined
        ? { client_tls: { cert_pem: config.merchant_cert_pem, key_pem: config.merchant_private_key_pem } }
        : {}),
    });
  } catch (error) {
    if (error instanceof HttpClientError)
      return { kind: 'no_answer', reason: `${error.kind}: ${error.message}` };
    throw error;
  }
  let parsed: Record<string, string>;
  try {
    parsed = parseV2Xml(reply.body.toString('utf8'));
  } catch (error) {
    if (error instanceof V2XmlError)
      return { kind: 'no_answer', reason: `HTTP ${reply.status} reply refused: ${error.message}` };
    throw error;
  }
  // WeChat signs replies with the sign type of the request.
  if (!v2SignMatches(parsed, config.api_v2_key, config.v2_sign_type)) {
    return {
      kind: 'no_answer',
      reason: `HTTP ${reply.status} v2 reply not verified (sign missing or wrong)`,
    };
  }
  return { kind: 'answered', fields: parsed };
}
