import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import type http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Random } from '../../domain/random.ts';
import {
  listenLoopback,
  type RsaPemPair,
  readVector,
  readVectorText,
  rsaPair,
  VECTORS_DIR,
} from '../simulator-kit/testing.ts';
import type { ChannelAccount } from '../types.ts';

/**
 * Test support for the Alipay channel: the shared conformance vectors, RSA key pairs, X.509
 * certificates for certificate mode (made with the `openssl` command line into a temp directory,
 * once per test file: node cannot issue certificates), accounts pointing at a simulator, and a
 * loopback server that records notifications and answers as told. Imported by tests only.
 */

export type { RsaPemPair };
export { readVector, readVectorText, rsaPair, VECTORS_DIR };

export interface TestCerts {
  /** Certifies the simulator's key; issued by the first RSA root. */
  alipay_public_cert_pem: string;
  /** RSA root 1, an EC root (skipped by the SN rule), RSA root 2: as Alipay's bundle mixes them. */
  alipay_root_cert_pem: string;
  /** Certifies the app's key. */
  app_cert_pem: string;
  /** Certifies the ISV app's key. */
  isv_cert_pem: string;
}

function openssl(dir: string, args: string[]): void {
  execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
}

/**
 * Certificates for certificate-mode tests. Issuer names carry several attributes, spaces and
 * CJK, and serials exceed 64 bits, so the SN rule (reversed issuer attributes + decimal serial)
 * is really exercised.
 */
export function makeTestCerts(alipay: RsaPemPair, app: RsaPemPair, isv: RsaPemPair): TestCerts {
  const dir = mkdtempSync(join(tmpdir(), 'alipay-certs-'));
  writeFileSync(join(dir, 'alipay.key'), alipay.private_key_pem);
  writeFileSync(join(dir, 'app.key'), app.private_key_pem);
  writeFileSync(join(dir, 'isv.key'), isv.private_key_pem);
  const rsaRoot = (name: string, subject: string) =>
    openssl(dir, [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      `${name}.key`,
      '-out',
      `${name}.crt`,
      '-days',
      '3650',
      '-utf8',
      '-subj',
      subject,
      '-set_serial',
      '0x0A1B2C3D4E5F60718293',
    ]);
  rsaRoot(
    'root1',
    '/C=CN/O=Ant Financial/OU=Certification Authority/CN=Ant Financial Certification Authority R1',
  );
  rsaRoot('root2', '/C=CN/O=Ant Financial/CN=Ant Financial Certification Authority R2');
  openssl(dir, [
    'req',
    '-x509',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:P-256',
    '-nodes',
    '-keyout',
    'ec.key',
    '-out',
    'ec.crt',
    '-days',
    '3650',
    '-subj',
    '/C=CN/O=Ant Financial/CN=Ant Financial EC Root',
  ]);
  const issue = (name: string, subject: string, serial: string) => {
    openssl(dir, ['req', '-new', '-key', `${name}.key`, '-out', `${name}.csr`, '-utf8', '-subj', subject]);
    openssl(dir, [
      'x509',
      '-req',
      '-in',
      `${name}.csr`,
      '-CA',
      'root1.crt',
      '-CAkey',
      'root1.key',
      '-out',
      `${name}.crt`,
      '-days',
      '3650',
      '-set_serial',
      serial,
    ]);
  };
  issue(
    'alipay',
    '/C=CN/O=支付宝(杭州)信息技术有限公司/OU=Alipay/CN=2088000000000001',
    '0x7F01020304050607080910',
  );
  issue('app', '/C=CN/O=Paymux Test Merchant/OU=Alipay/CN=2088000000000002', '0x00FEDCBA9876543210');
  issue('isv', '/C=CN/O=Paymux ISV/OU=Alipay/CN=2088000000000003', '12345');
  const read = (file: string) => readFileSync(join(dir, file), 'utf8');
  return {
    alipay_public_cert_pem: read('alipay.crt'),
    alipay_root_cert_pem: read('root1.crt') + read('ec.crt') + read('root2.crt'),
    app_cert_pem: read('app.crt'),
    isv_cert_pem: read('isv.crt'),
  };
}

/** 16 digits like Alipay's app ids (2021…). */
export function testAppId(random: Random): string {
  return `2021${[...random.bytes(12)].map((b) => String(b % 10)).join('')}`;
}

export function accountFor(id: string, config: Record<string, string>): ChannelAccount {
  return { id, channel: 'alipay', config };
}

export interface CapturedNotification {
  headers: http.IncomingHttpHeaders;
  body: string;
}

export interface NotifyCapture {
  url: string;
  received: CapturedNotification[];
  /** The reply body for a notification; 'hang' never answers. Default `success`. */
  respond: (n: CapturedNotification, index: number) => string | 'hang';
  close(): Promise<void>;
}

/** A loopback server that records every POST (at most 1000) and answers as told. */
export async function startNotifyCapture(): Promise<NotifyCapture> {
  const capture: NotifyCapture = { url: '', received: [], respond: () => 'success', close: async () => {} };
  const server = await listenLoopback(({ headers, body }) => {
    const record = { headers, body };
    if (capture.received.length < 1000) capture.received.push(record);
    const answer = capture.respond(record, capture.received.length - 1);
    if (answer === 'hang') return 'hang';
    return { status: 200, content_type: 'text/plain', body: answer };
  });
  capture.url = server.url;
  capture.close = server.close;
  return capture;
}
