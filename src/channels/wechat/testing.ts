import { mkdtempSync, writeFileSync } from 'node:fs';
import type http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Random } from '../../domain/random.ts';
import { alphanumericNonce } from '../../domain/random.ts';
import {
  type CapturedRequest,
  listenLoopback,
  type RsaPemPair,
  readVector,
  readVectorText,
  rsaPair,
  VECTORS_DIR,
} from '../simulator-kit/testing.ts';
import type { ChannelAccount } from '../types.ts';

/**
 * Test support for the WeChat Pay channel: the shared conformance vectors, merchants with fresh
 * key pairs, accounts pointing at a simulator, and a loopback HTTP server that records what it
 * receives. Imported by tests only.
 */

export type { CapturedRequest, RsaPemPair };
export { readVector, readVectorText, rsaPair, VECTORS_DIR };

export interface TestMerchant {
  mchid: string;
  appid: string;
  merchant_serial_no: string;
  merchant_private_key_pem: string;
  merchant_public_key_pem: string;
  apiv3_key: string;
}

export function testMerchant(random: Random, keys: RsaPemPair, mchid = '1900000109'): TestMerchant {
  return {
    mchid,
    appid: `wx${random.bytes(8).toString('hex')}`,
    merchant_serial_no: random.bytes(20).toString('hex').toUpperCase(),
    merchant_private_key_pem: keys.private_key_pem,
    merchant_public_key_pem: keys.public_key_pem,
    apiv3_key: alphanumericNonce(random, 32),
  };
}

/** What the simulator is told at sign-up. */
export function simMerchantOf(m: TestMerchant) {
  return {
    mchid: m.mchid,
    appid: m.appid,
    merchant_serial_no: m.merchant_serial_no,
    merchant_public_key_pem: m.merchant_public_key_pem,
    apiv3_key: m.apiv3_key,
  };
}

export interface PlatformInfo {
  url: string;
  public_key_id: string;
  public_key_pem: string;
}

export function accountFor(
  m: TestMerchant,
  platform: PlatformInfo,
  overrides: Record<string, string> = {},
): ChannelAccount {
  return {
    id: 'ca_test',
    channel: 'wechat',
    config: {
      mchid: m.mchid,
      appid: m.appid,
      merchant_serial_no: m.merchant_serial_no,
      merchant_private_key_pem: m.merchant_private_key_pem,
      apiv3_key: m.apiv3_key,
      wechatpay_public_key_id: platform.public_key_id,
      wechatpay_public_key_pem: platform.public_key_pem,
      api_base_url: platform.url,
      ...overrides,
    },
  };
}

export interface CaptureServer {
  url: string;
  requests: CapturedRequest[];
  /** The status for the next request; 'hang' never answers. Default 204. */
  respond: (request: CapturedRequest, index: number) => number | 'hang';
  close(): Promise<void>;
}

/** A loopback HTTP server that records every request (at most 1000) and answers as told. */
export async function startCaptureServer(): Promise<CaptureServer> {
  const capture: CaptureServer = {
    url: '',
    requests: [],
    respond: () => 204,
    close: async () => {},
  };
  const server = await listenLoopback((record) => {
    if (capture.requests.length < 1000) capture.requests.push(record);
    const status = capture.respond(record, capture.requests.length - 1);
    if (status === 'hang') return 'hang';
    const body = status === 204 ? undefined : '{"code":"FAIL","message":"失败"}';
    return { status, content_type: 'application/json', body };
  });
  capture.url = server.url;
  capture.close = server.close;
  return capture;
}

/** Node's header bag as the single-valued record the adapter takes. */
export function headerRecord(headers: http.IncomingHttpHeaders): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (typeof value === 'string') out[name] = value;
    else if (Array.isArray(value)) out[name] = value.join(', ');
  }
  return out;
}

/** A fixed RSA-2048 test key (vector W2's) used as a simulator's platform key: no keygen per file. */
export function fixedPlatformKeyFile(): string {
  const dir = mkdtempSync(join(tmpdir(), 'wxsim-'));
  const file = join(dir, 'platform-key.pem');
  writeFileSync(file, readVectorText('keys/wechatpay-go-test-private-key.pem'), { mode: 0o600 });
  return file;
}

/** A service-provider account (mode partner) for one sub-merchant. */
export function partnerAccountFor(
  sp: TestMerchant,
  platform: PlatformInfo,
  sub: { sub_mchid: string; sub_appid?: string },
  overrides: Record<string, string> = {},
): ChannelAccount {
  const account = accountFor(sp, platform, {
    mode: 'partner',
    sub_mchid: sub.sub_mchid,
    ...(sub.sub_appid !== undefined ? { sub_appid: sub.sub_appid } : {}),
    ...overrides,
  });
  return { ...account, id: 'ca_partner' };
}

/** Drops the public key settings: the account then uses platform certificates only. */
export function certificateOnly(account: ChannelAccount): ChannelAccount {
  const { wechatpay_public_key_id: _id, wechatpay_public_key_pem: _pem, ...rest } = account.config;
  return { ...account, config: rest };
}
