import { createHash } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../domain/clock.ts';
import { SeededRandom } from '../../domain/random.ts';
import { closeHttpAgents } from '../http-client.ts';
import type { BillRow, ChannelAccount, ChannelContext } from '../types.ts';
import { wechatAdapter } from './adapter.ts';
import { parseAuthorization, requestMessage, verifySha256Rsa } from './crypto.ts';
import { platformKeyFromPrivatePem } from './simulator/platform-key.ts';
import { PlatformSigner } from './simulator/signer.ts';
import { accountFor, readVectorText, rsaPair, testMerchant } from './testing.ts';

/**
 * The bill download against a fake WeChat Pay that can lie: the file is signed-for (Authorization)
 * but not signed back, so the SHA1 of the un-gzipped bill is what must catch a bad file.
 */
const clock = new ManualClock(Date.UTC(2025, 4, 21, 2, 0, 0));
const ctx: ChannelContext = { clock, random: new SeededRandom(91), timeout_ms: 2000 };
const keys = rsaPair();
const merchant = testMerchant(new SeededRandom(92), keys);
const platform = platformKeyFromPrivatePem(readVectorText('keys/wechatpay-go-test-private-key.pem'));
const signer = new PlatformSigner(platform, clock, new SeededRandom(93));
const csv = Buffer.from(readVectorText('wechat-tradebill.ALL.csv'), 'utf8');

let server: http.Server;
let account: ChannelAccount;
let origin = '';
let ticket: Record<string, string> = {};
let file: Buffer = Buffer.alloc(0);
const file_requests: http.IncomingHttpHeaders[] = [];

beforeAll(async () => {
  server = http.createServer(async (req, res) => {
    if (req.url?.startsWith('/v3/bill/tradebill')) {
      const body = JSON.stringify(ticket);
      res.writeHead(200, { ...(await signer.headersFor(body)), 'content-type': 'application/json' });
      res.end(body);
      return;
    }
    file_requests.push(req.headers);
    res.writeHead(200, { 'content-type': 'application/octet-stream' });
    res.end(file);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  account = accountFor(merchant, {
    url: origin,
    public_key_id: platform.public_key_id,
    public_key_pem: platform.public_key_pem,
  });
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  closeHttpAgents();
});

function serve(bytes: Buffer, overrides: Record<string, string> = {}): void {
  file = bytes;
  ticket = {
    hash_type: 'SHA1',
    hash_value: createHash('sha1').update(csv).digest('hex'),
    download_url: `${origin}/v3/billdownload/file?token=t0k3n`,
    ...overrides,
  };
}

async function rows(): Promise<BillRow[]> {
  const out: BillRow[] = [];
  for await (const row of wechatAdapter.downloadBill!(ctx, account, '2025-05-20')) out.push(row);
  return out;
}

describe('downloadBill', () => {
  it('signs the file request, checks the SHA1 of the unzipped bill, and parses it (W7, gzip)', async () => {
    serve(gzipSync(csv));
    expect(await rows()).toHaveLength(45);
    const headers = file_requests.at(-1)!;
    const auth = parseAuthorization(String(headers.authorization))!;
    const message = requestMessage(
      'GET',
      '/v3/billdownload/file?token=t0k3n',
      auth.pairs.timestamp,
      auth.pairs.nonce_str,
      '',
    );
    expect(verifySha256Rsa(message, auth.pairs.signature, keys.public_key_pem)).toBe(true);
  });

  it('refuses a file that does not match its hash, and yields no row of it', async () => {
    const tampered = Buffer.from(
      csv.toString('utf8').replace('autotest_20190216081946_82335', 'autotest_20190216081946_82336'),
    );
    serve(gzipSync(tampered));
    const seen: BillRow[] = [];
    await expect(
      (async () => {
        for await (const row of wechatAdapter.downloadBill!(ctx, account, '2025-05-20')) seen.push(row);
      })(),
    ).rejects.toThrow(/does not match hash_value/);
    expect(seen).toEqual([]);
  });

  it('refuses a file that is not gzip, another hash type, and a download_url off the API host', async () => {
    serve(csv);
    await expect(rows()).rejects.toThrow(/not gzip/);
    serve(gzipSync(csv), { hash_type: 'MD5' });
    await expect(rows()).rejects.toThrow(/hash_type is not SHA1/);
    const before = file_requests.length;
    serve(gzipSync(csv), { download_url: 'http://127.0.0.2:9/v3/billdownload/file?token=x' });
    await expect(rows()).rejects.toThrow(/not on the WeChat Pay API host/);
    expect(file_requests.length).toBe(before);
    await expect(
      (async () => {
        for await (const _ of wechatAdapter.downloadBill!(ctx, account, '20250520')) break;
      })(),
    ).rejects.toThrow(/YYYY-MM-DD/);
  });
});
