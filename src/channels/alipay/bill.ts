import http from 'node:http';
import https from 'node:https';
import { TextDecoder } from 'node:util';
import type { BillRow, ChannelContext } from '../types.ts';
import { BillParser } from './bill-format.ts';
import type { AlipayConfig } from './config.ts';
import { isCalendarDate } from './time.ts';
import { callAlipay } from './transport.ts';
import { describeResult, field, METHOD, verdictOf } from './wire.ts';

/**
 * The day's trade bill: ask the gateway for the download URL (a signed reply), then stream the
 * file line by line into BillRows (bill-format.ts says what the file looks like). Nothing is held
 * whole: a large merchant's bill is hundreds of megabytes.
 */

/** A bill bigger than this is refused rather than read on. */
export const BILL_BYTES_MAX = 1024 * 1024 * 1024;
/** One line of the bill; real lines are a few hundred bytes. */
const BILL_LINE_CHARS_MAX = 64 * 1024;

export class BillDownloadError extends Error {
  override name = 'BillDownloadError';
}

function charsetOf(content_type: string | undefined): string {
  const m = /charset=([\w-]+)/i.exec(content_type ?? '');
  const charset = (m?.[1] ?? 'utf-8').toLowerCase();
  // Real bills are GBK; GB18030 is its superset and what TextDecoder offers for both.
  return charset === 'gbk' || charset === 'gb2312' ? 'gb18030' : charset;
}

function get(url: URL, idle_timeout_ms: number): Promise<http.IncomingMessage> {
  return new Promise((resolve, reject) => {
    const client = url.protocol === 'https:' ? https : http;
    const req = client.get(url, { timeout: idle_timeout_ms }, resolve);
    req.on('timeout', () =>
      req.destroy(new BillDownloadError(`bill download idle for ${idle_timeout_ms} ms`)),
    );
    req.on('error', (error) =>
      reject(error instanceof BillDownloadError ? error : new BillDownloadError('bill download failed')),
    );
  });
}

/** The lines of the file at `url`, decoded as its charset says, line ends removed. */
export async function* fetchLines(url_text: string, idle_timeout_ms: number): AsyncGenerator<string> {
  let url: URL;
  try {
    url = new URL(url_text);
  } catch {
    throw new BillDownloadError('bill_download_url is not a URL');
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:')
    throw new BillDownloadError('bill_download_url is not http(s)');
  const response = await get(url, idle_timeout_ms);
  try {
    if (response.statusCode !== 200)
      throw new BillDownloadError(`bill download: HTTP ${response.statusCode}`);
    response.setTimeout(idle_timeout_ms, () =>
      response.destroy(new BillDownloadError(`bill download idle for ${idle_timeout_ms} ms`)),
    );
    let decoder: TextDecoder;
    try {
      decoder = new TextDecoder(charsetOf(response.headers['content-type']), { fatal: true });
    } catch {
      throw new BillDownloadError('bill download: unsupported charset');
    }
    let pending = '';
    let bytes = 0;
    for await (const chunk of response as AsyncIterable<Buffer>) {
      bytes += chunk.length;
      if (bytes > BILL_BYTES_MAX) throw new BillDownloadError(`bill larger than ${BILL_BYTES_MAX} bytes`);
      pending += decoder.decode(chunk, { stream: true });
      let newline = pending.indexOf('\n');
      while (newline >= 0) {
        yield pending.slice(0, newline).replace(/\r$/, '');
        pending = pending.slice(newline + 1);
        newline = pending.indexOf('\n');
      }
      if (pending.length > BILL_LINE_CHARS_MAX) throw new BillDownloadError('bill line too long');
    }
    pending += decoder.decode();
    if (pending !== '') yield pending.replace(/\r$/, '');
  } catch (error) {
    if (error instanceof TypeError) throw new BillDownloadError('bill is not valid text in its charset');
    throw error;
  } finally {
    // A consumer that stops early must not leave the socket open.
    response.destroy();
  }
}

/** Rows of a bill, from any source of lines. */
export async function* billRowsOf(lines: AsyncIterable<string>): AsyncGenerator<BillRow> {
  const parser = new BillParser();
  for await (const line of lines) {
    const row = parser.push(line);
    if (row) yield row;
  }
  parser.finish();
}

export async function* downloadAlipayBill(
  ctx: ChannelContext,
  config: AlipayConfig,
  bill_date: string,
): AsyncGenerator<BillRow> {
  if (!isCalendarDate(bill_date)) throw new BillDownloadError('bill_date must be YYYY-MM-DD');
  const answer = await callAlipay(ctx, config, METHOD.bill_url, { bill_type: 'trade', bill_date });
  if (answer.kind === 'no_answer') throw new BillDownloadError(`bill url: ${answer.reason}`);
  if (verdictOf(answer.result) !== 'success')
    throw new BillDownloadError(`bill url: ${describeResult(answer.result)}`);
  const url = field(answer.result, 'bill_download_url');
  if (url === undefined) throw new BillDownloadError('bill url: reply has no bill_download_url');
  yield* billRowsOf(fetchLines(url, ctx.timeout_ms));
}
