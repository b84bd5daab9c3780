import { HttpClientError, httpRequest } from '../http-client.ts';
import { identityFailed } from '../payer-authorization.ts';
import type { ChannelAccount, ChannelContext, IdentityOutcome, PayerAuthorization } from '../types.ts';
import type { WechatConfig } from './config.ts';
import { clientAppid } from './merchant-ids.ts';
import { isRecord, parseJson } from './wire.ts';

/**
 * Who the payer is inside WeChat, for WX_JSAPI: web-page OAuth2 with scope snsapi_base (silent,
 * no consent screen). The payer's browser goes to open.weixin.qq.com/connect/oauth2/authorize,
 * WeChat sends it back to our redirect_uri with `code` and `state`, and the code is exchanged
 * once, server to server, at api.weixin.qq.com/sns/oauth2/access_token for the openid under the
 * appid (sub_appid in partner mode when set: that openid is the sub_openid).
 *
 * The exchange needs the appid's AppSecret (setting `oauth_app_secret`). Neither it nor the
 * access_token that comes back is ever logged or returned: only the openid leaves this file.
 */

/** WeChat's errcodes for the code exchange. */
const ERR_CODE_USED = 40163;
const ERR_CODE_INVALID = 40029;

/** `#wechat_redirect` is part of WeChat's documented URL shape. */
const WECHAT_REDIRECT_FRAGMENT = '#wechat_redirect';

function appidOf(config: WechatConfig): string {
  return clientAppid(config);
}

function usableOpenid(value: unknown): string | null {
  if (typeof value !== 'string') return null;
  const openid = value.trim();
  if (openid === '' || openid === 'undefined' || openid === 'null' || openid.length > 128) return null;
  return openid;
}

export function wechatPayerAuthorization(
  configOf: (account: ChannelAccount) => WechatConfig,
): PayerAuthorization {
  return {
    pay_way: 'WX_JSAPI',
    configProblem(account) {
      let config: WechatConfig;
      try {
        config = configOf(account);
      } catch (error) {
        return (error as Error).message;
      }
      if (config.oauth_app_secret === undefined)
        return `wechat config: oauth_app_secret is missing (the AppSecret of ${config.mode === 'partner' && config.sub_appid !== undefined ? 'sub_appid' : 'appid'})`;
      return null;
    },
    authorizeUrl(account, redirect_uri, state) {
      const config = configOf(account);
      const query = new URLSearchParams({
        appid: appidOf(config),
        redirect_uri,
        response_type: 'code',
        scope: 'snsapi_base',
        state,
      });
      return `${config.oauth_base_url}/connect/oauth2/authorize?${query.toString()}${WECHAT_REDIRECT_FRAGMENT}`;
    },
    async exchange(ctx, account, callback) {
      return exchangeCode(ctx, configOf(account), callback);
    },
  };
}

async function exchangeCode(
  ctx: ChannelContext,
  config: WechatConfig,
  callback: Readonly<Record<string, string>>,
): Promise<IdentityOutcome> {
  const code = callback.code?.trim() ?? '';
  if (code === '') {
    // WeChat sends the payer back with only `state` when the authorisation is refused.
    if (callback.state !== undefined && callback.state !== '')
      return identityFailed(
        'PAYER_AUTH_DENIED',
        'WeChat returned without a code: the authorisation was refused',
      );
    return identityFailed('PAYER_AUTH_CODE_MISSING', 'the callback carries no code');
  }
  if (code.length > 512) return identityFailed('PAYER_AUTH_CODE_INVALID', 'the code is implausibly long');
  if (config.oauth_app_secret === undefined)
    return identityFailed('PAYER_AUTH_UNAVAILABLE', 'oauth_app_secret is not configured');
  const query = new URLSearchParams({
    appid: appidOf(config),
    secret: config.oauth_app_secret,
    code,
    grant_type: 'authorization_code',
  });
  let body: string;
  let status: number;
  try {
    const response = await httpRequest({
      method: 'GET',
      url: `${config.sns_api_base_url}/sns/oauth2/access_token?${query.toString()}`,
      headers: { accept: 'application/json' },
      timeout_ms: ctx.timeout_ms,
    });
    body = response.body;
    status = response.status;
  } catch (error) {
    // The error names the target without its query: the secret stays out of it.
    if (error instanceof HttpClientError)
      return identityFailed('PAYER_AUTH_UNAVAILABLE', `code exchange: ${error.kind}`);
    throw error;
  }
  if (status !== 200) return identityFailed('PAYER_AUTH_UNAVAILABLE', `code exchange: HTTP ${status}`);
  const json = parseJson(body);
  if (!isRecord(json))
    return identityFailed('PAYER_AUTH_UNAVAILABLE', 'code exchange: the reply is not JSON');
  const errcode = typeof json.errcode === 'number' ? json.errcode : Number(json.errcode ?? 0);
  if (Number.isFinite(errcode) && errcode !== 0) {
    const errmsg = typeof json.errmsg === 'string' ? json.errmsg.slice(0, 200) : '';
    if (errcode === ERR_CODE_USED)
      return identityFailed('PAYER_AUTH_CODE_REUSED', `${errcode} ${errmsg}`.trim());
    if (errcode === ERR_CODE_INVALID)
      return identityFailed('PAYER_AUTH_CODE_INVALID', `${errcode} ${errmsg}`.trim());
    return identityFailed('PAYER_AUTH_UNAVAILABLE', `code exchange: errcode ${errcode} ${errmsg}`.trim());
  }
  const openid = usableOpenid(json.openid);
  if (openid === null)
    return identityFailed('PAYER_IDENTITY_MISSING', 'the code exchange answered without an openid');
  return { kind: 'identified', payer: { wechat_openid: openid } };
}
