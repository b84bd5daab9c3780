import { describe, expect, it } from 'vitest';
import {
  hmacHex,
  requestSigningString,
  responseSigningString,
  verifyWebhook,
  webhookSignatureHeader,
} from './merchant-signature.ts';

describe('merchant request signature (the worked example of docs/api/signing.md)', () => {
  it('signs the five-line canonical string with HMAC-SHA256', () => {
    const body = '{"merchant_order_no":"order-1","pay_way":"WX_NATIVE","amount":1,"subject":"Coffee"}';
    const message = requestSigningString('post', '/v1/payments', '1764201600', 'n0nce-0001', body);
    expect(message).toBe(`POST\n/v1/payments\n1764201600\nn0nce-0001\n${body}\n`);
    // Reproducible by hand: printf 'POST\n/v1/payments\n…\n' | openssl dgst -sha256 -hmac sk_test_demo
    expect(hmacHex('sk_test_demo', message)).toBe(
      '53fcdeec9a379ca25d4b93657d3b3366f9563021d9a0cce0a512588d5d0b55c7',
    );
  });

  it('signs responses over timestamp, nonce and body', () => {
    expect(responseSigningString('1', 'n', '{}')).toBe('1\nn\n{}\n');
  });
});

describe('webhook signature', () => {
  const body = '{"id":"evt_1"}';
  it('verifies with either active secret during a rotation', () => {
    const header = webhookSignatureHeader(['new-secret', 'old-secret'], 1000, body);
    expect(verifyWebhook('new-secret', header, body, 1000)).toEqual({ ok: true });
    expect(verifyWebhook('old-secret', header, body, 1100)).toEqual({ ok: true });
    expect(verifyWebhook('other', header, body, 1000)).toEqual({
      ok: false,
      reason: 'no_matching_signature',
    });
  });
  it('refuses a changed body, an old timestamp and a malformed header', () => {
    const header = webhookSignatureHeader(['s'], 1000, body);
    expect(verifyWebhook('s', header, '{"id":"evt_2"}', 1000).ok).toBe(false);
    expect(verifyWebhook('s', header, body, 1301)).toEqual({ ok: false, reason: 'timestamp_skew' });
    expect(verifyWebhook('s', 'garbage', body, 1000)).toEqual({ ok: false, reason: 'malformed_header' });
    expect(verifyWebhook('s', 't=1000', body, 1000)).toEqual({ ok: false, reason: 'malformed_header' });
  });
});
