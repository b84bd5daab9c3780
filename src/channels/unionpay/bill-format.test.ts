import { describe, expect, it } from 'vitest';
import type { BillRow } from '../types.ts';
import { type BillLine, formatBill, linesOf, parseBill } from './bill-format.ts';

const MER = '777290058167151';
const consume: BillLine = {
  txnType: '01',
  orderId: 'pay01JVTESTPAYMENT000000000AB',
  queryId: '512345678901234567890',
  origOrderId: '',
  origQryId: '',
  txnAmt: '888',
  fee: '3',
  respCode: '00',
  doneTime: '20250520100043',
};
const refund: BillLine = {
  ...consume,
  txnType: '04',
  orderId: 'rf01JVTESTRXFND00000000000CD',
  queryId: '598765432109876543210',
  origOrderId: consume.orderId,
  origQryId: consume.queryId,
  txnAmt: '100',
  fee: '0',
};

async function* chunks(text: string, size: number): AsyncGenerator<string> {
  for (let i = 0; i < text.length; i += size) yield text.slice(i, i + size);
}

async function parse(text: string, size = 7, date8 = '20250520'): Promise<BillRow[]> {
  const rows: BillRow[] = [];
  for await (const row of parseBill(linesOf(chunks(text, size)), { mer_id: MER, date8 })) rows.push(row);
  return rows;
}

describe('bill format', () => {
  const text = formatBill(MER, '20250520', [consume, refund]);

  it('reads what it writes, in chunks of any size, into BillRows', async () => {
    const expected: BillRow[] = [
      {
        kind: 'payment',
        out_trade_no: 'pay_01JVTESTPAYMENT000000000AB',
        channel_trade_no: consume.queryId,
        amount_fen: 888,
        fee_fen: 3,
        channel_status: 'CONSUME:00',
        at_ms: Date.UTC(2025, 4, 20, 2, 0, 43),
      },
      {
        kind: 'refund',
        out_trade_no: 'pay_01JVTESTPAYMENT000000000AB',
        channel_trade_no: consume.queryId,
        out_refund_no: 'rf_01JVTESTRXFND00000000000CD',
        channel_refund_no: refund.queryId,
        amount_fen: 100,
        fee_fen: 0,
        channel_status: 'REFUND:00',
        at_ms: Date.UTC(2025, 4, 20, 2, 0, 43),
      },
    ];
    for (const size of [1, 7, 4096]) expect(await parse(text, size)).toEqual(expected);
    expect(await parse(text.replaceAll('\n', '\r\n'))).toEqual(expected);
  });

  it('refuses a truncated bill, a wrong trailer, another merchant or day, a malformed row', async () => {
    const lines = text.split('\n');
    await expect(parse(lines.slice(0, -2).join('\n'))).rejects.toThrow('no trailer');
    await expect(parse(text.replace('TOTAL|2|988', 'TOTAL|2|989'))).rejects.toThrow('trailer does not match');
    await expect(parse(text.replace('TOTAL|2|988', 'TOTAL|3|988'))).rejects.toThrow('trailer does not match');
    await expect(parse(text, 7, '20250521')).rejects.toThrow('another day');
    await expect(parse(text.replace(MER, '777290058167152'))).rejects.toThrow('another merId');
    await expect(parse(text.replace('|888|', '|8.88|'))).rejects.toThrow('malformed');
    await expect(parse(text.replace('|888|3|', '|888|'))).rejects.toThrow('wrong cell count');
    await expect(parse(`${text}junk\n`)).rejects.toThrow('after the bill trailer');
    await expect(parse(`X${text}`)).rejects.toThrow('not a bill of ours');
    await expect(parse(`${'x'.repeat(2000)}\n`)).rejects.toThrow('too long');
  });

  it('never writes a cell that would break the layout', () => {
    expect(() => formatBill(MER, '20250520', [{ ...consume, orderId: 'a|b' }])).toThrow('separator');
  });
});
