import { Resvg } from '@resvg/resvg-js';
import QRCode from 'qrcode';
import { escapeHtml } from '../domain/html.ts';
import type { ChannelName } from '../domain/pay-way.ts';

/**
 * The printable plate of a static code (码牌): the merchant's name, the store, the QR code and the
 * wallets that can pay, as SVG (exact, for print shops) and PNG (for chat and phones). The QR is
 * drawn module by module so it stays sharp at any size; error correction M survives a worn sticker.
 */

const WIDTH = 640;
const HEIGHT = 920;
const QR_BOX = 440;
const FONT = "'WenQuanYi Micro Hei','Noto Sans CJK SC','PingFang SC','Microsoft YaHei',sans-serif";

const WALLET_LABELS: Record<ChannelName, { zh: string; en: string; color: string }> = {
  wechat: { zh: '微信支付', en: 'WeChat Pay', color: '#07c160' },
  alipay: { zh: '支付宝', en: 'Alipay', color: '#1677ff' },
  unionpay: { zh: '云闪付', en: 'UnionPay', color: '#d7000f' },
};

export interface PlateInput {
  merchant_name: string;
  store_name: string;
  url: string;
  wallets: ChannelName[];
  code_id: string;
}

export function plateSvg(input: PlateInput): string {
  const qr = QRCode.create(input.url, { errorCorrectionLevel: 'M' });
  const size = qr.modules.size;
  const quiet = 2;
  const cell = QR_BOX / (size + quiet * 2);
  const x0 = (WIDTH - QR_BOX) / 2;
  const y0 = 200;
  let path = '';
  for (let row = 0; row < size; row++) {
    for (let col = 0; col < size; col++) {
      if (qr.modules.get(row, col)) {
        path += `M${(x0 + (col + quiet) * cell).toFixed(2)} ${(y0 + (row + quiet) * cell).toFixed(2)}h${cell.toFixed(2)}v${cell.toFixed(2)}h-${cell.toFixed(2)}z`;
      }
    }
  }
  const labels = input.wallets.map((w) => WALLET_LABELS[w]);
  const gap = WIDTH / (labels.length + 1);
  const wallet_marks = labels
    .map(
      (l, i) =>
        `<g transform="translate(${(gap * (i + 1)).toFixed(0)} 740)"><circle r="26" fill="${l.color}"/>` +
        `<text y="64" text-anchor="middle" font-size="22" fill="#1f2329">${escapeHtml(l.zh)}</text>` +
        `<text y="90" text-anchor="middle" font-size="15" fill="#646a73">${escapeHtml(l.en)}</text></g>`,
    )
    .join('');
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${HEIGHT}" viewBox="0 0 ${WIDTH} ${HEIGHT}" font-family="${FONT}">
<rect width="${WIDTH}" height="${HEIGHT}" rx="24" fill="#ffffff"/>
<rect width="${WIDTH}" height="150" rx="24" fill="#1f2329"/><rect y="126" width="${WIDTH}" height="24" fill="#1f2329"/>
<text x="${WIDTH / 2}" y="72" text-anchor="middle" font-size="36" font-weight="bold" fill="#ffffff">${escapeHtml(truncate(input.merchant_name, 18))}</text>
<text x="${WIDTH / 2}" y="118" text-anchor="middle" font-size="22" fill="#c9cdd4">${escapeHtml(truncate(input.store_name, 28))}</text>
<rect x="${x0}" y="${y0}" width="${QR_BOX}" height="${QR_BOX}" fill="#ffffff"/>
<path d="${path}" fill="#000000"/>
<text x="${WIDTH / 2}" y="684" text-anchor="middle" font-size="26" fill="#1f2329">扫码付款 · Scan to pay</text>
${wallet_marks}
<text x="${WIDTH / 2}" y="${HEIGHT - 24}" text-anchor="middle" font-size="13" fill="#8f959e">${escapeHtml(input.code_id)}</text>
</svg>`;
}

const PNG_CACHE_ENTRIES_MAX = 64;
const png_cache = new Map<string, Buffer>();

/** The plate as PNG at twice the SVG's size (1280 px wide), rendered once per distinct plate. */
export function platePng(input: PlateInput): Buffer {
  const svg = plateSvg(input);
  const hit = png_cache.get(svg);
  if (hit) return hit;
  const png = new Resvg(svg, {
    fitTo: { mode: 'width', value: WIDTH * 2 },
    font: { loadSystemFonts: true, defaultFontFamily: 'WenQuanYi Micro Hei' },
  })
    .render()
    .asPng();
  if (png_cache.size >= PNG_CACHE_ENTRIES_MAX) png_cache.clear();
  png_cache.set(svg, png);
  return png;
}

function truncate(text: string, max_chars: number): string {
  const chars = [...text];
  return chars.length <= max_chars ? text : `${chars.slice(0, max_chars - 1).join('')}…`;
}
