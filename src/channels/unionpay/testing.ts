import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Clock } from '../../domain/clock.ts';
import { newId } from '../../domain/ids.ts';
import type { Random } from '../../domain/random.ts';
import {
  type CapturedRequest,
  listenLoopback,
  readVector,
  readVectorText,
  VECTORS_DIR,
} from '../simulator-kit/testing.ts';
import type { ChannelAccount } from '../types.ts';

/**
 * Test support for the UnionPay channel: the shared conformance vectors and their keys, accounts
 * pointing at a simulator, and a loopback HTTP server that records the notifications it receives.
 * Imported by tests only.
 */

export type { CapturedRequest };
export { readVector, readVectorText, VECTORS_DIR };

/** The public test material of vectors U1/U2 (yansongda/pay's UnionPay test certificates). */
export const KEYS = {
  merchant_private_key_pem: readVectorText('keys/unionpay-test-merchant-private-key.pem'),
  merchant_cert_pem: readVectorText('keys/unionpay-test-merchant-cert-69903319369.pem'),
  cfca_root_pem: readVectorText('keys/unionpay-test-cfca-cs-ca-root.pem'),
  cfca_middle_pem: readVectorText('keys/unionpay-test-cfca-oca1.pem'),
  unionpay_sign_cert_pem: readVectorText('keys/unionpay-test-sign-cert-69678957876.pem'),
  /** A self-signed certificate and its key, from another channel's vectors. */
  self_signed_cert_pem: readVectorText('keys/wechatpay-go-test-cert-F5765756002FDD77.pem'),
  self_signed_private_key_pem: readVectorText('keys/wechatpay-go-test-private-key.pem'),
} as const;

/** The merchant number of the vectors (yansongda's test merchant). */
export const TEST_MER_ID = '777290058167151';
export const TEST_CERT_ID = '69903319369';

export interface SimInfo {
  url: string;
  root_cert_pem: string;
  middle_cert_pem: string;
}

export function accountFor(sim: SimInfo, overrides: Record<string, string> = {}): ChannelAccount {
  return {
    id: 'ca_unionpay_test',
    channel: 'unionpay',
    config: {
      mer_id: TEST_MER_ID,
      sign_private_key_pem: KEYS.merchant_private_key_pem,
      sign_cert_pem: KEYS.merchant_cert_pem,
      root_cert_pem: sim.root_cert_pem,
      middle_cert_pem: sim.middle_cert_pem,
      gateway_base_url: sim.url,
      ...overrides,
    },
  };
}

/** A well-formed payment id (a ULID at the clock's now), as the core mints them. */
export function paymentId(clock: Clock, random: Random): string {
  return newId('payment', clock, random);
}

export function refundId(clock: Clock, random: Random): string {
  return newId('refund', clock, random);
}

export interface CaptureServer {
  url: string;
  requests: CapturedRequest[];
  /** The status for a request; 'hang' never answers. Default 200. */
  respond: (request: CapturedRequest, index: number) => number | 'hang';
  close(): Promise<void>;
}

/** A loopback HTTP server that records every request (at most 1000) and answers as told. */
export async function startCaptureServer(): Promise<CaptureServer> {
  const capture: CaptureServer = { url: '', requests: [], respond: () => 200, close: async () => {} };
  const server = await listenLoopback((record) => {
    if (capture.requests.length < 1000) capture.requests.push(record);
    const status = capture.respond(record, capture.requests.length - 1);
    if (status === 'hang') return 'hang';
    return { status, content_type: 'text/plain', body: status === 200 ? 'ok' : 'fail' };
  });
  capture.url = server.url;
  capture.close = server.close;
  return capture;
}

/**
 * A certificate whose issuer *name* is CFCA TEST OCA1 and whose CN is UnionPay's, signed by a key
 * of our own (openssl CLI): names match the real chain, signatures do not.
 */
export function impostorSignerCert(): { cert_pem: string; private_key_pem: string } {
  const dir = mkdtempSync(join(tmpdir(), 'up-impostor-'));
  const run = (args: string[]) =>
    execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  try {
    run(
      [
        'req',
        '-x509',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-keyout',
        'ca.key',
        '-out',
        'ca.pem',
        '-days',
        '3650',
      ].concat(['-subj', '/C=CN/O=China Financial Certification Authority/CN=CFCA TEST OCA1']),
    );
    run(
      [
        'req',
        '-new',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-keyout',
        'leaf.key',
        '-out',
        'leaf.csr',
        '-utf8',
      ].concat(['-subj', '/C=cn/O=CFCA OCA1/CN=041@8310000000083040@中国银联股份有限公司@00016495']),
    );
    run(
      [
        'x509',
        '-req',
        '-in',
        'leaf.csr',
        '-CA',
        'ca.pem',
        '-CAkey',
        'ca.key',
        '-set_serial',
        '4660',
        '-days',
        '3650',
      ].concat(['-out', 'leaf.pem']),
    );
    return {
      cert_pem: readFileSync(join(dir, 'leaf.pem'), 'utf8'),
      private_key_pem: readFileSync(join(dir, 'leaf.key'), 'utf8'),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
