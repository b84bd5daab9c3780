import { escapeHtml } from '../domain/html.ts';
import type { Lang } from './i18n.ts';
import { t } from './i18n.ts';

/** A value into an inline <script> as JSON that cannot close the script element. */
export function scriptJson(value: unknown): string {
  return JSON.stringify(value).replace(/</g, '\\u003c').replace(/>/g, '\\u003e').replace(/&/g, '\\u0026');
}

/**
 * The payer's pages are small on purpose: one inline stylesheet, no framework, no web fonts, so
 * they open fast on a slow phone inside a wallet's webview.
 */
const STYLE = `
*{box-sizing:border-box}body{margin:0;font:16px/1.5 -apple-system,BlinkMacSystemFont,"PingFang SC","Microsoft YaHei","Noto Sans CJK SC",sans-serif;background:#f5f6f8;color:#1f2329}
main{max-width:480px;margin:0 auto;padding:24px 16px 48px}
.card{background:#fff;border-radius:12px;padding:20px;box-shadow:0 1px 3px rgba(0,0,0,.06);margin-bottom:16px}
h1{font-size:20px;margin:0 0 12px}.muted{color:#646a73;font-size:14px}
.amount{font-size:36px;font-weight:600;margin:8px 0}.amount small{font-size:20px;margin-right:2px}
button,.button{display:block;width:100%;padding:14px;border:0;border-radius:8px;background:#1677ff;color:#fff;font-size:17px;text-align:center;text-decoration:none;cursor:pointer}
button.secondary,.button.secondary{background:#eef0f3;color:#1f2329}
.ok{color:#0a8a4a}.bad{color:#c4320a}
.qr{display:block;width:220px;height:220px;margin:12px auto}
ul.wallets{padding:0;list-style:none}ul.wallets li{padding:6px 0;border-bottom:1px solid #f0f1f3}
input{width:100%;font-size:28px;padding:10px;border:1px solid #d0d3d8;border-radius:8px}
.error{color:#c4320a;margin:8px 0}
footer{text-align:center;margin-top:24px;font-size:13px}footer a{color:#646a73}
`;

export interface PageOptions {
  /** The page's own path and query, for the language switch. */
  self: { path: string; query?: Readonly<Record<string, string>> };
  /** Extra <head> content (scripts). Must already be safe HTML. */
  head?: string;
}

export function page(lang: Lang, title: string, body: string, options: PageOptions): string {
  const other: Lang = lang === 'en' ? 'zh-CN' : 'en';
  const query = new URLSearchParams({ ...options.self.query, lang: other === 'en' ? 'en' : 'zh' });
  const switch_href = `${options.self.path}?${query.toString()}`;
  return `<!doctype html>
<html lang="${lang}"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width,initial-scale=1,maximum-scale=1">
<title>${escapeHtml(title)}</title><style>${STYLE}</style>${options.head ?? ''}</head>
<body><main>${body}
<footer><a id="lang-switch" href="${escapeHtml(switch_href)}">${escapeHtml(t(lang, 'language_other'))}</a> · Paymux</footer>
</main></body></html>`;
}
