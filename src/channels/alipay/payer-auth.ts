import { HttpClientError, httpRequest } from '../http-client.ts';
import { configProblemOf, identityFailed } from '../payer-authorization.ts';
import type { ChannelAccount, ChannelContext, IdentityOutcome, PayerAuthorization } from '../types.ts';
import type { AlipayConfig } from './config.ts';
import { verifyRsa2 } from './crypto.ts';
import { formEncode, signedParams } from './request.ts';
import { extractSignedResponse } from './response-text.ts';
import { isRecord, METHOD, parseJson } from './wire.ts';

/**
 * Who the payer is inside Alipay, for ALI_JSAPI: user authorisation with scope auth_base (静默授权).
 * The payer's browser goes to openauth.alipay.com/oauth2/publicAppAuthorize.htm; Alipay sends it
 * back to our redirect_uri with `auth_code`, `app_id`, `source`, `scope` and `state`; the code is
 * exchanged once through the signed gateway method alipay.system.oauth.token (grant_type and code
 * are request parameters, not biz_content) — in key or certificate mode, and with the ISV's
 * app_auth_token, like every other call. The answer names the payer by `user_id` (2088…, older
 * apps) or `open_id` (newer apps); exactly one of them becomes the identity.
 *
 * Refusals come as `error_response` (code 40002): sub_code `isv.code-invalid` ("授权码错误、状态
 * 不对或过期") covers an unknown, expired and already used code alike in Alipay's own table; a
 * sub_msg that says the code was used (the simulator says so) is told apart as a reuse. The
 * access_token is never kept, logged or returned.
 */

const SUB_CODES_INVALID: ReadonlySet<string> = new Set(['isv.code-invalid', 'isv.code-expired']);
const SUB_CODE_USED = 'isv.code-used';
const USED_WORDS = /已使用|已被使用|already used|been used/i;
const USER_ID = /^2088\d{12}$/;
const OPEN_ID = /^[0-9A-Za-z_-]{8,128}$/;

export function alipayPayerAuthorization(
  configOf: (account: ChannelAccount) => AlipayConfig,
): PayerAuthorization {
  return {
    pay_way: 'ALI_JSAPI',
    configProblem: (account) => configProblemOf(configOf, account),
    authorizeUrl(account, redirect_uri, state) {
      const config = configOf(account);
      const query = new URLSearchParams({
        app_id: config.app_id,
        scope: 'auth_base',
        redirect_uri,
        state,
      });
      return `${config.oauth_base_url}/oauth2/publicAppAuthorize.htm?${query.toString()}`;
    },
    async exchange(ctx, account, callback) {
      return exchangeCode(ctx, configOf(account), callback);
    },
  };
}

async function exchangeCode(
  ctx: ChannelContext,
  config: AlipayConfig,
  callback: Readonly<Record<string, string>>,
): Promise<IdentityOutcome> {
  const code = callback.auth_code?.trim() ?? '';
  if (code === '') {
    const said_no =
      (callback.error !== undefined && callback.error !== '') ||
      (callback.state !== undefined && callback.state !== '');
    return said_no
      ? identityFailed(
          'PAYER_AUTH_DENIED',
          'Alipay returned without an auth_code: the authorisation was refused',
        )
      : identityFailed('PAYER_AUTH_CODE_MISSING', 'the callback carries no auth_code');
  }
  if (callback.app_id !== undefined && callback.app_id !== config.app_id)
    return identityFailed('PAYER_AUTH_CODE_INVALID', 'the callback names another app_id than the account');
  if (code.length > 256)
    return identityFailed('PAYER_AUTH_CODE_INVALID', 'the auth_code is implausibly long');

  const method = METHOD.oauth_token;
  const params = await signedParams(ctx.clock, config, method, null, {
    params: { grant_type: 'authorization_code', code },
  });
  let body: string;
  try {
    const response = await httpRequest({
      method: 'POST',
      url: config.gateway_url,
      headers: {
        'content-type': 'application/x-www-form-urlencoded;charset=utf-8',
        accept: 'application/json',
      },
      body: formEncode(params),
      timeout_ms: ctx.timeout_ms,
    });
    if (response.status !== 200)
      return identityFailed('PAYER_AUTH_UNAVAILABLE', `${method}: HTTP ${response.status}`);
    body = response.body;
  } catch (error) {
    if (error instanceof HttpClientError)
      return identityFailed('PAYER_AUTH_UNAVAILABLE', `${method}: ${error.kind}`);
    throw error;
  }

  const signed = extractSignedResponse(body, method);
  if (!signed)
    return identityFailed('PAYER_AUTH_UNAVAILABLE', `${method}: the reply is not a gateway response`);
  if (signed.sign === undefined) return identityFailed('PAYER_AUTH_UNAVAILABLE', `${method}: unsigned reply`);
  if (
    config.alipay_cert_sn !== undefined &&
    signed.alipay_cert_sn !== undefined &&
    signed.alipay_cert_sn !== config.alipay_cert_sn
  )
    return identityFailed(
      'PAYER_AUTH_UNAVAILABLE',
      `${method}: reply signed under another Alipay certificate`,
    );
  if (!verifyRsa2(signed.signed_text, signed.sign, config.alipay_public_key))
    return identityFailed('PAYER_AUTH_UNAVAILABLE', `${method}: reply signature does not verify`);
  const value = parseJson(signed.signed_text);
  if (!isRecord(value)) return identityFailed('PAYER_AUTH_UNAVAILABLE', `${method}: reply is not an object`);

  // A success carries no code at all (or 10000); anything else is a refusal or trouble.
  const result_code = typeof value.code === 'string' ? value.code : undefined;
  if (signed.key === 'error_response' || (result_code !== undefined && result_code !== '10000')) {
    const sub_code = typeof value.sub_code === 'string' ? value.sub_code : '';
    const sub_msg = typeof value.sub_msg === 'string' ? value.sub_msg.slice(0, 200) : '';
    const detail = `${result_code ?? ''} ${sub_code}${sub_msg === '' ? '' : `: ${sub_msg}`}`.trim();
    if (sub_code === SUB_CODE_USED || (SUB_CODES_INVALID.has(sub_code) && USED_WORDS.test(sub_msg)))
      return identityFailed('PAYER_AUTH_CODE_REUSED', detail);
    if (SUB_CODES_INVALID.has(sub_code)) return identityFailed('PAYER_AUTH_CODE_INVALID', detail);
    return identityFailed('PAYER_AUTH_UNAVAILABLE', `${method}: ${detail}`);
  }
  const user_id = typeof value.user_id === 'string' ? value.user_id.trim() : '';
  const open_id = typeof value.open_id === 'string' ? value.open_id.trim() : '';
  if (USER_ID.test(user_id)) return { kind: 'identified', payer: { alipay_buyer_id: user_id } };
  if (OPEN_ID.test(open_id) && open_id !== 'undefined' && open_id !== 'null')
    return { kind: 'identified', payer: { alipay_open_id: open_id } };
  return identityFailed('PAYER_IDENTITY_MISSING', `${method} answered without a user_id or open_id`);
}
