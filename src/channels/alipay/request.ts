import type { Clock } from '../../domain/clock.ts';
import type { AlipayConfig } from './config.ts';
import { SIGN_TYPE, signContent, signRsa2 } from './crypto.ts';
import { toBeijingDateTime } from './time.ts';

/**
 * Building a signed gateway request (protocols.md §3.1, §3.2): the common parameters, the
 * certificate-mode and ISV additions, `biz_content` as a JSON string, and `sign` over all of it.
 * Used for server-to-server calls and, offline, for page-pay URLs, forms and app order strings.
 */

export interface RequestExtras {
  notify_url?: string;
  return_url?: string;
  /** Methods that take their arguments as request parameters (alipay.system.oauth.token). */
  params?: Readonly<Record<string, string>>;
}

/** The signed parameters of one request, `sign` included, in the order we send them. */
export async function signedParams(
  clock: Clock,
  config: AlipayConfig,
  method: string,
  biz_content: object | null,
  extras: RequestExtras = {},
): Promise<Record<string, string>> {
  const params: Record<string, string> = {
    app_id: config.app_id,
    method,
    format: 'JSON',
    charset: 'utf-8',
    sign_type: SIGN_TYPE,
    timestamp: toBeijingDateTime(clock.now_ms()),
    version: '1.0',
  };
  if (extras.notify_url !== undefined) params.notify_url = extras.notify_url;
  if (extras.return_url !== undefined) params.return_url = extras.return_url;
  if (config.app_auth_token !== undefined) params.app_auth_token = config.app_auth_token;
  if (config.app_cert_sn !== undefined && config.alipay_root_cert_sn !== undefined) {
    params.app_cert_sn = config.app_cert_sn;
    params.alipay_root_cert_sn = config.alipay_root_cert_sn;
  }
  for (const [name, value] of Object.entries(extras.params ?? {})) {
    if (value !== '' && !Object.hasOwn(params, name)) params[name] = value;
  }
  if (biz_content !== null) params.biz_content = JSON.stringify(biz_content);
  params.sign = await signRsa2(signContent(params), config.app_private_key);
  return params;
}

/** `application/x-www-form-urlencoded` text of the parameters (UTF-8, space as `+`). */
export function formEncode(params: Readonly<Record<string, string>>): string {
  return new URLSearchParams(params).toString();
}
