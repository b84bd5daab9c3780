import { describe, expect, it } from 'vitest';
import { verifyRsa2 } from '../crypto.ts';
import { extractSignedResponse } from '../response-text.ts';
import { rsaPair } from '../testing.ts';
import { signedReplyBody } from './signer.ts';

describe('simulator reply signing', () => {
  const keys = rsaPair();
  it('escapes slashes as Alipay does, signs the exact text, puts alipay_cert_sn beside sign', async () => {
    const body = await signedReplyBody(
      keys.private_key_pem,
      'alipay.trade.precreate',
      { code: '10000', msg: 'Success', qr_code: 'https://qr.alipay.com/bax0' },
      'abc123',
    );
    expect(body).toContain('"qr_code":"https:\\/\\/qr.alipay.com\\/bax0"');
    const signed = extractSignedResponse(body, 'alipay.trade.precreate')!;
    expect(signed).toMatchObject({ key: 'alipay_trade_precreate_response', alipay_cert_sn: 'abc123' });
    expect(verifyRsa2(signed.signed_text, signed.sign!, keys.public_key_pem)).toBe(true);
    // Re-serialising the parsed object drops the escapes, and the signature with them.
    expect(
      verifyRsa2(JSON.stringify(JSON.parse(signed.signed_text)), signed.sign!, keys.public_key_pem),
    ).toBe(false);
  });
});
