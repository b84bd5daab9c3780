import { signContent, verifyRsa2 } from '../crypto.ts';
import { isRecord, parseJson } from '../wire.ts';
import type { SimApp } from './apps.ts';
import type { SimCore } from './core.ts';
import type { Caller } from './method-context.ts';
import { invalidArguments, missingArgument, type SimResult } from './results.ts';

/**
 * Who is calling, checked the way the gateway does before anything else (protocols.md §3.1, §3.2):
 * a known app_id, sign_type RSA2, in certificate mode the app's and Alipay's root certificate
 * SNs, the RSA2 signature over every parameter but `sign` (sign_type included) with the app's
 * public key, then the ISV's app_auth_token, then a JSON object in biz_content.
 *
 * The request timestamp is not checked against the clock: alipay-sdk stamps requests with the
 * machine's local time whatever its zone, and tests run the simulator on a fixed clock.
 */

export type Authenticated =
  | { ok: true; caller: Caller; biz: Record<string, unknown> }
  /** `app` is set when the app is known, so the refusal is signed for its mode. */
  | { ok: false; result: SimResult; app?: SimApp };

export function authenticate(
  core: SimCore,
  params: Readonly<Record<string, string>>,
  origin: string,
): Authenticated {
  if (!params.method) return { ok: false, result: missingArgument('isv.missing-method', '缺少方法名参数') };
  const app_id = params.app_id;
  if (!app_id) return { ok: false, result: missingArgument('isv.missing-app-id', '缺少AppID参数') };
  const app = core.apps.get(app_id);
  if (!app) return { ok: false, result: invalidArguments('isv.invalid-app-id', '无效的AppID参数') };
  const refuse = (result: SimResult): Authenticated => ({ ok: false, result, app });
  if (!params.sign) return refuse(missingArgument('isv.missing-signature', '缺少签名参数'));
  if (params.sign_type !== 'RSA2')
    return refuse(invalidArguments('isv.invalid-signature-type', '无效的签名类型'));
  if (app.app_cert_sn !== undefined) {
    if (params.app_cert_sn !== app.app_cert_sn)
      return refuse(invalidArguments('isv.invalid-app-cert-sn', '应用公钥证书序列号不匹配'));
    if (params.alipay_root_cert_sn !== core.identity.certs?.alipay_root_cert_sn)
      return refuse(invalidArguments('isv.invalid-alipay-root-cert-sn', '支付宝根证书序列号不匹配'));
  }
  if (!verifyRsa2(signContent(params), params.sign, app.public_key))
    return refuse(
      invalidArguments('isv.invalid-signature', '验签出错，建议检查签名字符串或签名私钥与应用公钥是否匹配'),
    );

  let merchant = app;
  const token = params.app_auth_token;
  if (token) {
    const merchant_app_id = app.app_auth_tokens.get(token);
    const found = merchant_app_id === undefined ? undefined : core.apps.get(merchant_app_id);
    if (!found)
      return refuse({
        code: '20001',
        msg: 'Insufficient Token Permissions',
        sub_code: 'aop.invalid-app-auth-token',
        sub_msg: '无效的应用授权令牌',
      });
    merchant = found;
  }
  const biz = params.biz_content === undefined ? {} : parseJson(params.biz_content);
  if (!isRecord(biz)) return refuse(invalidArguments('isv.invalid-parameter', 'biz_content 不是 JSON 对象'));
  return {
    ok: true,
    biz,
    caller: {
      app,
      merchant_app_id: merchant.app_id,
      seller_id: merchant.seller_id,
      origin,
      ...(params.notify_url ? { notify_url: params.notify_url } : {}),
      ...(params.return_url ? { return_url: params.return_url } : {}),
    },
  };
}

/**
 * Parameters from the query and a form body; null when a name repeats with another value (the
 * signature would be ambiguous). The same value twice is tolerated: Alipay's own page forms post
 * `charset` in both the action URL and the fields.
 */
export function collectParams(raw_url: string, body: string | undefined): Record<string, string> | null {
  const params: Record<string, string> = {};
  const question = raw_url.indexOf('?');
  const sources = [question >= 0 ? raw_url.slice(question + 1) : '', body ?? ''];
  let count = 0;
  for (const source of sources) {
    for (const [key, value] of new URLSearchParams(source)) {
      // A gateway request has about a dozen parameters.
      if (++count > 64 || (Object.hasOwn(params, key) && params[key] !== value)) return null;
      params[key] = value;
    }
  }
  return params;
}
