import type { PayWay } from './pay-way.ts';

/**
 * Which wallet a payment code (付款码) belongs to, from its digits alone (protocols.md §5):
 *   WeChat Pay  18 digits, starting 10–15
 *   Alipay      16–24 digits, starting 25–30
 *   UnionPay    19 digits, starting 62
 * So one scanner takes every wallet (AUTO_BAR), and a wrong code is refused before any channel
 * call. The patterns do not overlap: a code matches at most one.
 */
const PAYMENT_CODE_RULES: ReadonlyArray<{ way: PayWay; pattern: RegExp }> = [
  { way: 'WX_BAR', pattern: /^1[0-5]\d{16}$/ },
  { way: 'ALI_BAR', pattern: /^(2[5-9]|30)\d{14,22}$/ },
  { way: 'UP_BAR', pattern: /^62\d{17}$/ },
];

export function classifyPaymentCode(code: string): PayWay | null {
  for (const rule of PAYMENT_CODE_RULES) if (rule.pattern.test(code)) return rule.way;
  return null;
}
