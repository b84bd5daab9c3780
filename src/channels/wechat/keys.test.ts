import { statSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../domain/clock.ts';
import { SeededRandom } from '../../domain/random.ts';
import { closeHttpAgents } from '../http-client.ts';
import type { ChannelAccount, ChannelContext, PaymentForChannel } from '../types.ts';
import {
  downloadWechatPlatformCertificates,
  heldWechatCertificates,
  wechatCertificatesExpiringWithin,
} from './account-keys.ts';
import { wechatAdapter } from './adapter.ts';
import { aeadDecrypt, aeadEncrypt, responseMessage, signSha256RsaSync } from './crypto.ts';
import { forgetPlatformCertificates } from './platform-cert-store.ts';
import { createWechatSimulator, type WechatSimulator } from './simulator/server.ts';
import { PlatformSigner } from './simulator/signer.ts';
import {
  accountFor,
  type CapturedRequest,
  type CaptureServer,
  certificateOnly,
  fixedPlatformKeyFile,
  headerRecord,
  type PlatformInfo,
  readVector,
  rsaPair,
  simMerchantOf,
  startCaptureServer,
  testMerchant,
} from './testing.ts';

/**
 * Key modes (protocols.md §1.4): platform certificates downloaded from /v3/certificates (issued by
 * the simulator with openssl), the WeChat Pay public key, both during a migration — and traffic
 * that must be refused whichever key is in use.
 */
const T0_MS = Date.UTC(2025, 4, 20, 2, 0, 0);
const clock = new ManualClock(T0_MS);
const ctx: ChannelContext = { clock, random: new SeededRandom(51), timeout_ms: 2000 };
const keys = rsaPair();
const merchant = testMerchant(new SeededRandom(52), keys, '1900000555');
const key_file = fixedPlatformKeyFile();

let sim: WechatSimulator;
let info: PlatformInfo;
let capture: CaptureServer;
let with_public_key: ChannelAccount;
let certificates_only: ChannelAccount;

beforeAll(async () => {
  sim = createWechatSimulator({ clock, random: new SeededRandom(53), platformKeyFile: key_file });
  const url = await sim.app.listen({ host: '127.0.0.1', port: 0 });
  sim.registerMerchant({ ...simMerchantOf(merchant), key_mode: 'certificate' });
  info = { url, public_key_id: sim.platformPublicKeyId, public_key_pem: sim.platformPublicKeyPem };
  with_public_key = accountFor(merchant, info);
  certificates_only = certificateOnly(with_public_key);
  capture = await startCaptureServer();
});
afterAll(async () => {
  await sim.stop();
  await sim.app.close();
  await capture.close();
  closeHttpAgents();
});

let seq = 0;
function payment(): PaymentForChannel {
  seq++;
  return {
    id: `pay_keys_${String(seq).padStart(4, '0')}`,
    pay_way: 'WX_NATIVE',
    amount_fen: 100,
    subject: 'keys',
    expires_at_ms: T0_MS + 86_400_000 * 30,
    channel_notify_url: `${capture.url}/notify`,
  };
}

async function setKeyMode(key_mode: string): Promise<void> {
  const response = await fetch(`${info.url}/sim/merchants/${merchant.mchid}/key-mode`, {
    method: 'POST',
    body: JSON.stringify({ key_mode }),
    headers: { 'content-type': 'application/json' },
  });
  expect(response.status).toBe(200);
}

describe('platform certificates', () => {
  beforeEach(() => forgetPlatformCertificates());

  it('are issued by openssl into the key file folder, mode 0600', async () => {
    const [cert] = await sim.platformCertificates();
    expect(cert!.serial_no).toMatch(/^[0-9A-F]{40}$/);
    for (const suffix of ['.pem', '.key']) {
      const file = join(dirname(key_file), `wechat-platform-cert-${cert!.serial_no}${suffix}`);
      expect(statSync(file).mode & 0o777).toBe(0o600);
    }
  });

  it('are downloaded on first need and verify replies; an account without a public key works', async () => {
    expect(heldWechatCertificates(certificates_only, clock)).toEqual([]);
    const p = payment();
    expect(await wechatAdapter.createPayment(ctx, certificates_only, p)).toMatchObject({ kind: 'accepted' });
    const [cert] = await sim.platformCertificates();
    expect(heldWechatCertificates(certificates_only, clock).map((c) => c.serial_no)).toEqual([
      cert!.serial_no,
    ]);
    expect(await wechatAdapter.queryPayment(ctx, certificates_only, p.id)).toMatchObject({
      status: 'NOT_PAID',
    });
  });

  it('answer 404 RESOURCE_NOT_EXISTS to a public-key merchant: not_available', async () => {
    await setKeyMode('public_key');
    expect(await downloadWechatPlatformCertificates(ctx, with_public_key)).toEqual({ kind: 'not_available' });
    await setKeyMode('certificate');
  });

  it('rotate: the new certificate is fetched (at most once a minute) and both are kept by serial', async () => {
    const p = payment();
    await wechatAdapter.createPayment(ctx, certificates_only, p);
    const rotated = await fetch(`${info.url}/sim/certificates/rotate`, { method: 'POST' });
    const fresh = (await rotated.json()) as { serial_no: string };
    expect(rotated.status).toBe(201);
    // A refresh happened moments ago: the new serial is not fetched yet, so the reply is not trusted.
    expect(await wechatAdapter.queryPayment(ctx, certificates_only, p.id)).toMatchObject({
      kind: 'unknown',
      reason: expect.stringContaining('unknown_serial'),
    });
    clock.advance(60_000);
    expect(await wechatAdapter.queryPayment(ctx, certificates_only, p.id)).toMatchObject({
      status: 'NOT_PAID',
    });
    const held = heldWechatCertificates(certificates_only, clock).map((c) => c.serial_no);
    expect(held).toHaveLength(2);
    expect(held).toContain(fresh.serial_no);
  });

  it('lists those expiring within N days of the injected clock', async () => {
    await downloadWechatPlatformCertificates(ctx, certificates_only);
    const held = heldWechatCertificates(certificates_only, clock);
    const soonest = Math.min(...held.map((c) => c.expire_at_ms));
    expect(wechatCertificatesExpiringWithin(certificates_only, clock, 30)).toEqual([]);
    const near = new ManualClock(soonest - 10 * 86_400_000);
    expect(
      wechatCertificatesExpiringWithin(certificates_only, near, 30).map((c) => c.expire_at_ms),
    ).toContain(soonest);
    expect(wechatCertificatesExpiringWithin(certificates_only, near, 5)).toEqual([]);
    // Past its expiry a certificate is no longer offered for verification at all.
    expect(heldWechatCertificates(certificates_only, new ManualClock(soonest))).not.toContainEqual(
      expect.objectContaining({ expire_at_ms: soonest }),
    );
  });

  it('migration to the public key: certificates, then both, then the public key alone', async () => {
    const p = payment();
    expect(await wechatAdapter.createPayment(ctx, certificates_only, p)).toMatchObject({ kind: 'accepted' });
    await setKeyMode('migrating');
    // WeChat now signs with PUB_KEY_ID_…: an account without the key cannot verify, and a
    // public-key id never makes it download anything.
    expect(await wechatAdapter.queryPayment(ctx, certificates_only, p.id)).toMatchObject({
      kind: 'unknown',
      reason: expect.stringContaining('unknown_serial'),
    });
    // With both configured: the public key verifies replies, certificates still download.
    expect(await wechatAdapter.queryPayment(ctx, with_public_key, p.id)).toMatchObject({
      status: 'NOT_PAID',
    });
    expect(await downloadWechatPlatformCertificates(ctx, with_public_key)).toMatchObject({
      kind: 'downloaded',
    });
    await setKeyMode('public_key');
    expect(await wechatAdapter.queryPayment(ctx, with_public_key, p.id)).toMatchObject({
      status: 'NOT_PAID',
    });
    expect(await downloadWechatPlatformCertificates(ctx, with_public_key)).toEqual({ kind: 'not_available' });
    await setKeyMode('certificate');
  });
});

describe('forged, replayed and tampered traffic', () => {
  let genuine: CapturedRequest;
  let cert_key: { id: string; private_key_pem: string };

  beforeAll(async () => {
    forgetPlatformCertificates();
    const p = payment();
    await wechatAdapter.createPayment(ctx, certificates_only, p);
    capture.respond = () => 204;
    await sim.deliverDueNotifications();
    capture.requests.length = 0;
    sim.pay(p.id);
    await sim.deliverDueNotifications();
    genuine = capture.requests[0]!;
    const newest = (await sim.platformCertificates()).at(-1)!;
    cert_key = { id: newest.serial_no, private_key_pem: newest.private_key_pem };
  });

  const parse = (request: CapturedRequest, at: ChannelContext = ctx) =>
    wechatAdapter.parseNotification(at, certificates_only, {
      headers: headerRecord(request.headers),
      raw_body: request.body,
    });

  async function resigned(body: string, key = cert_key): Promise<CapturedRequest> {
    const headers = await new PlatformSigner(
      { public_key_id: key.id, public_key_pem: '', private_key_pem: key.private_key_pem },
      clock,
      new SeededRandom(54),
    ).headersFor(body, key);
    return { ...genuine, body, headers: { ...genuine.headers, ...headers } };
  }

  it('the genuine notification, signed by the certificate, is accepted', async () => {
    expect(String(genuine.headers['wechatpay-serial'])).toBe(cert_key.id);
    expect(await parse(genuine)).toMatchObject({ kind: 'payment', status: 'PAID' });
    const lower = {
      ...genuine,
      headers: { ...genuine.headers, 'wechatpay-serial': cert_key.id.toLowerCase() },
    };
    expect(await parse(lower)).toMatchObject({ kind: 'payment' });
  });

  it('refuses a bad signature, a wrong serial, a replay after 300 s, a future timestamp', async () => {
    const sig = String(genuine.headers['wechatpay-signature']);
    const bad = {
      ...genuine,
      headers: { ...genuine.headers, 'wechatpay-signature': `${sig.slice(0, -4)}AAA=` },
    };
    expect(await parse(bad)).toMatchObject({ kind: 'rejected', code: 'NOTIFY_SIGNATURE_INVALID' });
    const serial = {
      ...genuine,
      headers: { ...genuine.headers, 'wechatpay-serial': 'ABCDEF0123456789ABCDEF0123456789ABCDEF01' },
    };
    expect(await parse(serial)).toMatchObject({
      kind: 'rejected',
      detail: expect.stringContaining('Wechatpay-Serial'),
    });
    // Signed by the public key but claiming the certificate's serial.
    const wrong_key = signSha256RsaSync(
      responseMessage(
        String(genuine.headers['wechatpay-timestamp']),
        String(genuine.headers['wechatpay-nonce']),
        genuine.body,
      ),
      (await import('node:fs')).readFileSync(key_file, 'utf8'),
    );
    expect(
      await parse({ ...genuine, headers: { ...genuine.headers, 'wechatpay-signature': wrong_key } }),
    ).toMatchObject({
      code: 'NOTIFY_SIGNATURE_INVALID',
    });
    for (const skew_ms of [300_000, -300_000]) {
      const later: ChannelContext = { ...ctx, clock: new ManualClock(clock.now_ms() + skew_ms) };
      expect(await parse(genuine, later)).toMatchObject({ detail: expect.stringContaining('300 s') });
    }
  });

  it('refuses an altered ciphertext or tag: by signature, and by GCM when re-signed', async () => {
    const envelope = JSON.parse(genuine.body) as { resource: { ciphertext: string; nonce: string } };
    const sealed = Buffer.from(envelope.resource.ciphertext, 'base64');
    for (const index of [3, sealed.length - 1]) {
      const tampered = Buffer.from(sealed);
      tampered[index]! ^= 0x80;
      const body = genuine.body.replace(envelope.resource.ciphertext, tampered.toString('base64'));
      expect(await parse({ ...genuine, body })).toMatchObject({ code: 'NOTIFY_SIGNATURE_INVALID' });
      expect(await parse(await resigned(body))).toMatchObject({
        code: 'NOTIFY_MALFORMED',
        detail: expect.stringContaining('authentication_failed'),
      });
    }
    // A lie sealed with the right key and signed with the right certificate passes the crypto;
    // the amount is then the gateway's to compare with its record (payment-flow tests).
    const plaintext = JSON.parse(
      aeadDecrypt(envelope.resource.ciphertext, merchant.apiv3_key, envelope.resource.nonce, 'transaction'),
    );
    plaintext.amount.total = 1;
    const lie = genuine.body.replace(
      envelope.resource.ciphertext,
      aeadEncrypt(JSON.stringify(plaintext), merchant.apiv3_key, envelope.resource.nonce, 'transaction'),
    );
    expect(await parse(await resigned(lie))).toMatchObject({ kind: 'payment', amount_fen: 1 });
  });
});

describe('certificate downloads that must not be trusted', () => {
  type Vector = { inputs: { cases: { java_certificate_download: { key: string; response_body: unknown } } } };
  const w45 = readVector<Vector>('wechat-aead.json').inputs.cases.java_certificate_download;
  let server: http.Server;
  let next_body = '';
  let account: ChannelAccount;

  beforeAll(async () => {
    const signer = new PlatformSigner(
      {
        public_key_id: '5DEA10EF55877E3CF6C33255C2E7DEFFF7E427EC',
        public_key_pem: '',
        private_key_pem: keys.private_key_pem,
      },
      clock,
      new SeededRandom(55),
    );
    server = http.createServer(async (_req, res) => {
      const headers = await signer.headersFor(next_body, {
        id: '5DEA10EF55877E3CF6C33255C2E7DEFFF7E427EC',
        private_key_pem: keys.private_key_pem,
      });
      res.writeHead(200, { ...headers, 'content-type': 'application/json' });
      res.end(next_body);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    account = certificateOnly(accountFor({ ...merchant, apiv3_key: w45.key }, { ...info, url }));
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it('vector W4+W5: the sealed certificate opens, but a reply signed by another key is refused', async () => {
    next_body = JSON.stringify(w45.response_body);
    expect(await downloadWechatPlatformCertificates(ctx, account)).toEqual({
      kind: 'unknown',
      reason: expect.stringContaining('bad_signature'),
    });
    expect(heldWechatCertificates(account, clock)).toEqual([]);
  });

  it('refuses a certificate whose ciphertext was altered, or whose serial differs', async () => {
    const body = JSON.parse(JSON.stringify(w45.response_body)) as {
      data: Array<{ serial_no: string; encrypt_certificate: { ciphertext: string } }>;
    };
    const sealed = Buffer.from(body.data[0]!.encrypt_certificate.ciphertext, 'base64');
    sealed[10]! ^= 1;
    next_body = JSON.stringify({
      data: [
        {
          ...body.data[0],
          encrypt_certificate: {
            ...body.data[0]!.encrypt_certificate,
            ciphertext: sealed.toString('base64'),
          },
        },
      ],
    });
    expect(await downloadWechatPlatformCertificates(ctx, account)).toMatchObject({
      reason: expect.stringContaining('authentication_failed'),
    });
    next_body = JSON.stringify({
      data: [{ ...body.data[0], serial_no: '5DEA10EF55877E3CF6C33255C2E7DEFFF7E427ED' }],
    });
    expect(await downloadWechatPlatformCertificates(ctx, account)).toMatchObject({
      reason: expect.stringContaining('serial differs'),
    });
  });
});
