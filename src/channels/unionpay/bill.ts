import { Readable } from 'node:stream';
import { createInflate } from 'node:zlib';
import type { BillRow, ChannelContext } from '../types.ts';
import { BillFormatError, linesOf, parseBill } from './bill-format.ts';
import type { UnionpayConfig } from './config.ts';
import {
  BILL_FILE_TYPE,
  BILL_RESPONSE_LIMIT_BYTES,
  BILL_TEXT_BYTES_MAX,
  FILE_TRANS_PATH,
  TXN_FILE_DOWNLOAD,
} from './constants.ts';
import { compactDate, toAcpTime } from './time.ts';
import { callUnionpay, describe } from './transport.ts';
import { RESP_NO_FILE, RESP_SUCCESS } from './wire.ts';

/**
 * One day's bill: a signed file-transfer request (76/01) for settleDate MMDD; the signed reply's
 * fileContent is base64(zlib deflate(bill text)), inflated and parsed as a stream (bill-format.ts).
 * Errors are thrown from the iteration: a partial bill must never pass for a complete one.
 */
async function* textOf(deflated: Buffer): AsyncGenerator<string> {
  const decoder = new TextDecoder('utf-8', { fatal: true });
  let total_bytes = 0;
  for await (const chunk of Readable.from([deflated]).pipe(createInflate())) {
    const bytes = chunk as Buffer;
    total_bytes += bytes.length;
    if (total_bytes > BILL_TEXT_BYTES_MAX) throw new BillFormatError('the bill inflates beyond the limit');
    yield decoder.decode(bytes, { stream: true });
  }
  const tail = decoder.decode();
  if (tail !== '') yield tail;
}

export async function* downloadBill(
  ctx: ChannelContext,
  config: UnionpayConfig,
  bill_date: string,
): AsyncGenerator<BillRow> {
  const date8 = compactDate(bill_date);
  if (date8 === null) throw new Error('bill_date must be YYYY-MM-DD');
  const call = await callUnionpay(
    ctx,
    config,
    FILE_TRANS_PATH,
    {
      ...TXN_FILE_DOWNLOAD,
      txnTime: toAcpTime(ctx.clock.now_ms()),
      settleDate: date8.slice(4),
      fileType: BILL_FILE_TYPE,
    },
    { body_limit_bytes: BILL_RESPONSE_LIMIT_BYTES },
  );
  if (call.kind === 'no_answer') throw new Error(`unionpay bill: ${call.reason}`);
  const code = call.fields.respCode;
  if (code === RESP_NO_FILE) return;
  if (code !== RESP_SUCCESS) throw new Error(`unionpay bill: ${describe(call.fields)}`);
  const content = call.fields.fileContent;
  if (!content) throw new Error('unionpay bill: reply has no fileContent');
  yield* parseBill(linesOf(textOf(Buffer.from(content, 'base64'))), { mer_id: config.mer_id, date8 });
}
