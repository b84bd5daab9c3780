import { createReadStream } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { BillRow } from '../types.ts';
import { billRowsOf, linesOf } from './bill.ts';
import { BillFormatError, yuanToFen } from './bill-csv.ts';
import { readVector, readVectorText, VECTORS_DIR } from './testing.ts';

/** Vector W7: the trade bill file parsed as a stream into BillRow. */
interface W7 {
  expected: { row_count: number; first_row: Record<string, string>; summary: Record<string, string> };
}
const w7 = readVector<W7>('wechat-tradebill.json');

async function rowsOfText(text: string, chunk_bytes = 7): Promise<BillRow[]> {
  const bytes = Buffer.from(text, 'utf8');
  // Tiny chunks split multi-byte characters and CRLFs: the line reader must not care.
  const chunks = Array.from({ length: Math.ceil(bytes.length / chunk_bytes) }, (_, i) =>
    bytes.subarray(i * chunk_bytes, (i + 1) * chunk_bytes),
  );
  const rows: BillRow[] = [];
  for await (const row of billRowsOf(
    linesOf(
      (async function* () {
        yield* chunks;
      })(),
    ),
  ))
    rows.push(row);
  return rows;
}

describe('W7 trade bill', () => {
  it('streams the vector file into 45 rows; the first is the documented refund', async () => {
    const rows: BillRow[] = [];
    const stream = createReadStream(`${VECTORS_DIR}wechat-tradebill.ALL.csv`, { highWaterMark: 64 });
    for await (const row of billRowsOf(linesOf(stream))) rows.push(row);
    expect(rows).toHaveLength(w7.expected.row_count);
    const first = w7.expected.first_row;
    expect(rows[0]).toEqual({
      kind: 'refund',
      out_trade_no: first['商户订单号'],
      channel_trade_no: first['微信订单号'],
      out_refund_no: first['商户退款单号'],
      channel_refund_no: first['微信退款单号'],
      amount_fen: 1,
      fee_fen: 0,
      channel_status: first['退款状态'],
      at_ms: Date.parse('2019-02-19T05:01:46+08:00'),
    });
    const payments = rows.filter((row) => row.kind === 'payment');
    const refunds = rows.filter((row) => row.kind === 'refund');
    expect(payments.length + refunds.length).toBe(45);
    // The summary's 订单总金额 and 申请退款总金额, recomputed from the rows in integer fen.
    expect(payments.reduce((sum, row) => sum + row.amount_fen, 0)).toBe(
      yuanToFen(w7.expected.summary['订单总金额']!),
    );
    expect(refunds.reduce((sum, row) => sum + row.amount_fen, 0)).toBe(
      yuanToFen(w7.expected.summary['申请退款总金额']!),
    );
  });

  it('gives the same rows whatever the chunking', async () => {
    const text = readVectorText('wechat-tradebill.ALL.csv');
    expect(await rowsOfText(text, 1)).toEqual(await rowsOfText(text, 4096));
  });

  it('refuses a truncated bill, a padded one, and a broken row', async () => {
    const text = readVectorText('wechat-tradebill.ALL.csv');
    const lines = text.split('\r\n');
    const without_summary = lines.slice(0, -3).join('\r\n');
    await expect(rowsOfText(without_summary)).rejects.toThrow(/before its summary/);
    const one_row_less = [...lines.slice(0, 1), ...lines.slice(2)].join('\r\n');
    await expect(rowsOfText(one_row_less)).rejects.toThrow(/counts 45.0 trades, the file holds 44/);
    const broken = text.replace('2019-02-19 05:01:46', '2019-02-30 05:01:46');
    await expect(rowsOfText(broken)).rejects.toBeInstanceOf(BillFormatError);
    await expect(rowsOfText(`${text}trailing\r\n`)).rejects.toThrow(/after the summary/);
  });
});

describe('yuanToFen', () => {
  it('converts without floating point, fees rounded half up', () => {
    expect(yuanToFen('0.01')).toBe(1);
    expect(yuanToFen('12345678.90')).toBe(1234567890);
    expect(yuanToFen('0.29')).toBe(29);
    expect(yuanToFen('0.00600')).toBe(1);
    expect(yuanToFen('0.00400')).toBe(0);
    expect(yuanToFen('-0.05000')).toBe(-5);
    for (const bad of ['', '1,00', '1.', '.5', '1e3', 'abc']) expect(yuanToFen(bad), bad).toBeNull();
  });
});
