import { escapeHtml } from '../../domain/html.ts';

/**
 * The offline pay ways' credentials, from already-signed parameters (request.ts): nothing is sent
 * to Alipay now; the payer's browser or the Alipay app carries the signed request later.
 *
 * - ALI_WAP / ALI_PC: a GET URL on the gateway (`pay_url`) and the same request as an
 *   auto-submitting POST form (`pay_form_html`), the two shapes alipay-sdk's pageExecute gives;
 * - ALI_APP: the order string the app SDK takes (`k=encodeURIComponent(v)&…`, as sdkExecute).
 */

function queryOf(params: Readonly<Record<string, string>>): string {
  return Object.entries(params)
    .map(([key, value]) => `${encodeURIComponent(key)}=${encodeURIComponent(value)}`)
    .join('&');
}

export function pageUrl(gateway_url: string, params: Readonly<Record<string, string>>): string {
  return `${gateway_url}?${queryOf(params)}`;
}

export function appOrderString(params: Readonly<Record<string, string>>): string {
  return queryOf(params);
}

/** A form that posts the signed parameters to the gateway as soon as the page loads. */
export function pageForm(gateway_url: string, params: Readonly<Record<string, string>>): string {
  const inputs = Object.entries(params)
    .map(([key, value]) => `<input type="hidden" name="${escapeHtml(key)}" value="${escapeHtml(value)}"/>`)
    .join('');
  return (
    `<form id="alipaysubmit" name="alipaysubmit" action="${escapeHtml(gateway_url)}" ` +
    `method="POST">${inputs}<input type="submit" value="Pay with Alipay" style="display:none"/></form>` +
    `<script>document.forms['alipaysubmit'].submit();</script>`
  );
}
