import { describe, expect, it } from 'vitest';
import { billRowsOf } from './bill.ts';
import { BILL_COLUMNS, BillFormatError, BillParser, renderBill } from './bill-format.ts';

/** The bill layout: what the simulator writes is what the adapter reads, and real-bill quirks parse. */
async function* linesOf(text: string): AsyncGenerator<string> {
  for (const line of text.split(/\r?\n/)) yield line;
}

async function rows(text: string) {
  const out = [];
  for await (const row of billRowsOf(linesOf(text))) out.push(row);
  return out;
}

describe('trade bill (业务明细)', () => {
  it('round-trips payments and refunds, amounts exact, signs dropped', async () => {
    const at = Date.UTC(2025, 4, 20, 2, 0, 0);
    const text = renderBill('2088000000000001', '2025-05-20', [
      {
        trade_no: 'T1',
        out_trade_no: 'P1',
        kind: '交易',
        subject: 'a,b\r\nc',
        created_at_ms: at,
        finished_at_ms: at + 5000,
        buyer_account: 'x***@y.com',
        amount_yuan: '0.29',
        refund_request_no: '',
        fee_yuan: '-0.01',
      },
      {
        trade_no: 'T1',
        out_trade_no: 'P1',
        kind: '退款',
        subject: 's',
        created_at_ms: at,
        finished_at_ms: at + 9000,
        buyer_account: 'x***@y.com',
        amount_yuan: '-0.10',
        refund_request_no: 'R1',
        fee_yuan: '0.00',
      },
    ]);
    expect(text.startsWith('#支付宝业务明细查询\r\n')).toBe(true);
    expect(await rows(text)).toEqual([
      {
        kind: 'payment',
        out_trade_no: 'P1',
        channel_trade_no: 'T1',
        amount_fen: 29,
        fee_fen: 1,
        channel_status: '交易',
        at_ms: at + 5000,
      },
      {
        kind: 'refund',
        out_trade_no: 'P1',
        channel_trade_no: 'T1',
        out_refund_no: 'R1',
        amount_fen: 10,
        fee_fen: 0,
        channel_status: '退款',
        at_ms: at + 9000,
      },
    ]);
  });

  it('finds columns by name, trims tab padding, skips the BOM and # lines', async () => {
    const header = [...BILL_COLUMNS].reverse().join(',');
    const values: Record<string, string> = {
      支付宝交易号: '2025\t',
      商户订单号: ' P2\t',
      业务类型: '交易',
      完成时间: '2025-05-20 10:00:00',
      '订单金额（元）': '100000000.00',
      '退款批次号/请求号': '',
      '服务费（元）': '',
    };
    const row = [...BILL_COLUMNS]
      .reverse()
      .map((c) => values[c] ?? '')
      .join(',');
    expect(await rows(`\uFEFF#comment\n${header}\n${row}\n#end`)).toEqual([
      {
        kind: 'payment',
        out_trade_no: 'P2',
        channel_trade_no: '2025',
        amount_fen: 10_000_000_000,
        channel_status: '交易',
        at_ms: Date.UTC(2025, 4, 20, 2, 0, 0),
      },
    ]);
  });

  it('refuses broken files rather than skipping rows', async () => {
    await expect(rows('#only comments\n')).rejects.toThrow(BillFormatError);
    await expect(rows('a,b,c\n')).rejects.toThrow('header has no 支付宝交易号 column');
    const header = BILL_COLUMNS.join(',');
    const bad_amount = BILL_COLUMNS.map(
      (c) =>
        ({
          支付宝交易号: 'T',
          商户订单号: 'P',
          业务类型: '交易',
          完成时间: '2025-05-20 10:00:00',
          '订单金额（元）': '0.291',
        })[c as '支付宝交易号'] ?? '',
    ).join(',');
    await expect(rows(`${header}\n${bad_amount}`)).rejects.toThrow('line 2: 订单金额 is not an amount');
    const parser = new BillParser();
    parser.push(header);
    expect(() => parser.push(BILL_COLUMNS.map((c) => (c === '业务类型' ? '其他' : 'x')).join(','))).toThrow(
      'unknown 业务类型',
    );
  });
});
