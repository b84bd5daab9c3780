import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { toBeijingDateTime } from '../channels/wechat/time.ts';

/**
 * Writes a WeChat trade bill (protocols.md §1.7, vector W7: BOM, header, backtick-prefixed cells,
 * summary) of `rows` paid orders to `path`, streamed, for the benchmark. Order i is `benchPaymentId(i)`
 * for 1 + i % 100 000 fen, paid within the day that starts at `day_start_ms`.
 */
const HEADER =
  '交易时间,公众账号ID,商户号,特约商户号,设备号,微信订单号,商户订单号,用户标识,交易类型,交易状态,付款银行,货币种类,' +
  '应结订单金额,代金券金额,微信退款单号,商户退款单号,退款金额,充值券退款金额,退款类型,退款状态,商品名称,商户数据包,手续费,费率,订单金额,申请退款金额,费率备注';
const SUMMARY_HEADER =
  '总交易单数,应结订单总金额,退款总金额,充值券退款总金额,手续费总金额,订单总金额,申请退款总金额';
const LINES_PER_WRITE = 1_000;

export const benchPaymentId = (i: number): string => `pay_b${String(i).padStart(9, '0')}`;
export const benchAmountFen = (i: number): number => 1 + (i % 100_000);
export const benchPaidAtMs = (day_start_ms: number, i: number): number =>
  day_start_ms + ((i * 86_413) % 86_400_000);

function yuan(fen: number): string {
  return `${Math.floor(fen / 100)}.${String(fen % 100).padStart(2, '0')}`;
}

export async function writeBenchBill(path: string, rows: number, day_start_ms: number): Promise<void> {
  const out = createWriteStream(path, { encoding: 'utf8' });
  let total_fen = 0;
  let fee_fen = 0;
  const write = async (text: string) => {
    if (!out.write(text)) await once(out, 'drain');
  };
  await write(`\uFEFF${HEADER}\r\n`);
  for (let start = 0; start < rows; start += LINES_PER_WRITE) {
    let chunk = '';
    for (let i = start; i < Math.min(rows, start + LINES_PER_WRITE); i++) {
      const amount = benchAmountFen(i);
      const fee = Math.round((amount * 6) / 1000);
      total_fen += amount;
      fee_fen += fee;
      const cells = [
        toBeijingDateTime(benchPaidAtMs(day_start_ms, i)),
        'wx0000000000000001',
        '1900000001',
        '0',
        '',
        `42000000012026${String(i).padStart(14, '0')}`,
        benchPaymentId(i),
        'oUpF8uMuAJO_M2pxb1Q9zNjWeS6o',
        'NATIVE',
        'SUCCESS',
        'OTHERS',
        'CNY',
        yuan(amount),
        '0.00',
        '',
        '',
        '0.00',
        '0.00',
        '',
        '',
        'Tea',
        '',
        `${yuan(fee)}000`,
        '0.60%',
        yuan(amount),
        '0.00',
        '',
      ];
      chunk += `\`${cells.join(',`')}\r\n`;
    }
    await write(chunk);
  }
  await write(`${SUMMARY_HEADER}\r\n`);
  const summary = [
    String(rows),
    yuan(total_fen),
    '0.00',
    '0.00',
    `${yuan(fee_fen)}000`,
    yuan(total_fen),
    '0.00',
  ];
  await write(`\`${summary.join(',`')}\r\n`);
  out.end();
  await once(out, 'finish');
}
