import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { HttpClientError } from '../http-client.ts';
import type { BillRow, ChannelContext } from '../types.ts';
import { BILL_LINE_CHARS_MAX, BillFormatError, TradeBillParser } from './bill-csv.ts';
import type { WechatConfig } from './config.ts';
import { subMchidQuery } from './merchant-ids.ts';
import { errorOf } from './outcomes.ts';
import { rawHttpRequest } from './raw-http.ts';
import { signedHeaders } from './signed-request.ts';
import { callWechat } from './transport.ts';
import { isRecord } from './wire.ts';

/**
 * The trade bill of one day (protocols.md §1.7): GET /v3/bill/tradebill (a signed, verified reply
 * with hash_type, hash_value and download_url), then GET download_url — signed like any request,
 * but its reply is not signed (the SDKs use a null validator), so the SHA1 of the file is what
 * proves it. The hash covers the bill as it was before gzip, so the file is first decompressed
 * once to check it, and only then decompressed again and parsed as a stream into rows: no row is
 * handed out from a file that does not match its hash.
 */
export class BillDownloadError extends Error {
  override name = 'BillDownloadError';
}

/** A large merchant's daily bill gzips to a few MB. */
const BILL_DOWNLOAD_BYTES_MAX = 64 * 1024 * 1024;
/** Decompressed, gzip can grow ~1000×; this bounds a gzip bomb. */
const BILL_INFLATED_BYTES_MAX = 1024 * 1024 * 1024;
/** The download takes longer than an API call; this many times the per-call budget. */
const DOWNLOAD_TIMEOUT_FACTOR = 10;

interface BillTicket {
  hash_type: string;
  hash_value: string;
  download_url: string;
}

async function ticketFor(ctx: ChannelContext, config: WechatConfig, bill_date: string): Promise<BillTicket> {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(bill_date)) throw new BillDownloadError('bill_date must be YYYY-MM-DD');
  const sub = subMchidQuery(config);
  const path = `/v3/bill/tradebill?bill_date=${bill_date}${sub === '' ? '' : `&${sub}`}&bill_type=ALL&tar_type=GZIP`;
  const answer = await callWechat(ctx, config, 'GET', path);
  if (answer.kind === 'no_answer') throw new BillDownloadError(`tradebill: ${answer.reason}`);
  if (answer.status !== 200) {
    const error = errorOf(answer);
    throw new BillDownloadError(
      `tradebill: HTTP ${answer.status}${error ? ` ${error.code}: ${error.message}` : ''}`,
    );
  }
  const json = answer.json;
  if (
    !isRecord(json) ||
    typeof json.hash_type !== 'string' ||
    typeof json.hash_value !== 'string' ||
    typeof json.download_url !== 'string'
  ) {
    throw new BillDownloadError('tradebill reply lacks hash_type, hash_value or download_url');
  }
  return { hash_type: json.hash_type, hash_value: json.hash_value, download_url: json.download_url };
}

async function fetchFile(ctx: ChannelContext, config: WechatConfig, ticket: BillTicket): Promise<Buffer> {
  let url: URL;
  try {
    url = new URL(ticket.download_url);
  } catch {
    throw new BillDownloadError('download_url is not a URL');
  }
  // Our signed Authorization must only ever go to WeChat's own host.
  if (url.origin !== new URL(config.api_base_url).origin)
    throw new BillDownloadError('download_url is not on the WeChat Pay API host');
  const headers = await signedHeaders(ctx, config, 'GET', url);
  try {
    const reply = await rawHttpRequest({
      method: 'GET',
      url: url.href,
      headers,
      timeout_ms: ctx.timeout_ms * DOWNLOAD_TIMEOUT_FACTOR,
      body_limit_bytes: BILL_DOWNLOAD_BYTES_MAX,
    });
    if (reply.status !== 200) throw new BillDownloadError(`bill file: HTTP ${reply.status}`);
    return reply.body;
  } catch (error) {
    if (error instanceof HttpClientError)
      throw new BillDownloadError(`bill file: ${error.kind}: ${error.message}`);
    throw error;
  }
}

/** The decompressed bytes, chunk by chunk, with the gzip-bomb cap applied as they come. */
async function* inflated(file: Buffer): AsyncGenerator<Buffer> {
  let total_bytes = 0;
  const gunzip = Readable.from([file]).pipe(createGunzip());
  try {
    for await (const chunk of gunzip) {
      total_bytes += (chunk as Buffer).length;
      if (total_bytes > BILL_INFLATED_BYTES_MAX)
        throw new BillDownloadError('bill file inflates past the cap');
      yield chunk as Buffer;
    }
  } catch (error) {
    if (error instanceof BillDownloadError) throw error;
    throw new BillDownloadError('bill file is not gzip');
  } finally {
    gunzip.destroy();
  }
}

async function checkHash(file: Buffer, ticket: BillTicket): Promise<void> {
  if (ticket.hash_type.toUpperCase() !== 'SHA1') throw new BillDownloadError('hash_type is not SHA1');
  const hash = createHash('sha1');
  for await (const chunk of inflated(file)) hash.update(chunk);
  if (hash.digest('hex') !== ticket.hash_value.toLowerCase())
    throw new BillDownloadError('bill file does not match hash_value');
}

/** Lines of a UTF-8 byte stream (LF or CRLF), each bounded in length. */
export async function* linesOf(bytes: AsyncIterable<Buffer | string>): AsyncGenerator<string> {
  const decoder = new TextDecoder('utf-8', { fatal: true });
  let pending = '';
  for await (const chunk of bytes) {
    pending += typeof chunk === 'string' ? chunk : decoder.decode(chunk, { stream: true });
    let newline = pending.indexOf('\n');
    while (newline >= 0) {
      yield pending.slice(0, newline).replace(/\r$/, '');
      pending = pending.slice(newline + 1);
      newline = pending.indexOf('\n');
    }
    if (pending.length > BILL_LINE_CHARS_MAX) throw new BillFormatError('a bill line is too long');
  }
  pending += decoder.decode();
  if (pending !== '') yield pending.replace(/\r$/, '');
}

/** Parses bill lines into rows as they come; throws BillFormatError on anything off. */
export async function* billRowsOf(lines: AsyncIterable<string>): AsyncGenerator<BillRow> {
  const parser = new TradeBillParser();
  for await (const line of lines) yield* parser.line(line);
  parser.end();
}

export async function* downloadTradeBill(
  ctx: ChannelContext,
  config: WechatConfig,
  bill_date: string,
): AsyncGenerator<BillRow> {
  const ticket = await ticketFor(ctx, config, bill_date);
  const file = await fetchFile(ctx, config, ticket);
  await checkHash(file, ticket);
  yield* billRowsOf(linesOf(inflated(file)));
}
