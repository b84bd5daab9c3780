import { signRsa2 } from '../crypto.ts';
import { responseKeyOf } from '../response-text.ts';
import type { SimResult } from './results.ts';

/**
 * Signs replies the way Alipay does (protocols.md §3.3): the signature covers the exact text of
 * the `*_response` value, and the body is assembled around that text without re-serialising it.
 * Like Alipay, slashes are written escaped (`https:\/\/qr.alipay.com\/…`): a client that
 * verifies re-serialised JSON instead of the bytes received fails against this simulator.
 */
export async function signedReplyBody(
  private_key_pem: string,
  method: string,
  result: SimResult,
  alipay_cert_sn?: string,
): Promise<string> {
  const key = /^[a-z][a-z0-9.]{0,127}$/.test(method) ? responseKeyOf(method) : 'error_response';
  const text = JSON.stringify(result).replaceAll('/', '\\/');
  const sign = await signRsa2(text, private_key_pem);
  const cert = alipay_cert_sn === undefined ? '' : `,"alipay_cert_sn":${JSON.stringify(alipay_cert_sn)}`;
  return `{${JSON.stringify(key)}:${text}${cert},"sign":${JSON.stringify(sign)}}`;
}
