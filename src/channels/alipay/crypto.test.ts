import { sign } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  notifySignContent,
  privateKeyOf,
  publicKeyOf,
  signContent,
  signRsa2,
  verifyNotifySignature,
  verifyRsa2,
} from './crypto.ts';
import { extractSignedResponse, topLevelSpans } from './response-text.ts';
import { readVector, readVectorText, rsaPair } from './testing.ts';

/** The shared vectors A1–A4 (protocols.md §7) through our own code. */

interface A1 {
  inputs: { method: string; response_key: string; raw_body: string; alipay_public_key_file: string };
  expected: { sign_content: string; sign: string };
}
interface A4 {
  inputs: { cases: Record<string, { response_key: string; raw_body: string }> };
  expected: { cases: Record<string, { sign_content: string }> };
}
interface NotifyVector {
  inputs: {
    alipay_public_key_file: string;
    form: Record<string, string>;
    foreign_form?: Record<string, string>;
    tampered_form?: Record<string, string>;
  };
  expected: { sign_content: string };
}

describe('A1: synchronous response signature', () => {
  const v = readVector<A1>('alipay-response-sign.json');
  const key = readVectorText(v.inputs.alipay_public_key_file);

  it('cuts the exact signed text and verifies it with the Alipay public key', () => {
    const signed = extractSignedResponse(v.inputs.raw_body, v.inputs.method);
    expect(signed).toEqual({
      key: v.inputs.response_key,
      signed_text: v.expected.sign_content,
      sign: v.expected.sign,
    });
    expect(verifyRsa2(signed!.signed_text, signed!.sign!, key)).toBe(true);
  });

  it('fails with one byte changed or a wrong signature', () => {
    expect(verifyRsa2(v.expected.sign_content.replace('10000', '10001'), v.expected.sign, key)).toBe(false);
    const wrong = `${v.expected.sign.slice(0, 10)}A${v.expected.sign.slice(11)}`;
    expect(
      verifyRsa2(v.expected.sign_content, wrong === v.expected.sign ? `B${wrong.slice(1)}` : wrong, key),
    ).toBe(false);
    expect(verifyRsa2(v.expected.sign_content, 'not base64!', key)).toBe(false);
  });
});

describe('A4: cutting the signed text out of the raw body', () => {
  const v = readVector<A4>('alipay-response-extract.json');
  for (const [name, input] of Object.entries(v.inputs.cases)) {
    it(name, () => {
      const method = input.response_key.replace(/_response$/, '').replaceAll('_', '.');
      expect(extractSignedResponse(input.raw_body, method)?.signed_text).toBe(
        v.expected.cases[name]!.sign_content,
      );
    });
  }

  it('takes the error_response when the method key is absent, and refuses repeated or broken bodies', () => {
    expect(extractSignedResponse('{"error_response":{"code":"40002"}}', 'alipay.trade.pay')).toEqual({
      key: 'error_response',
      signed_text: '{"code":"40002"}',
    });
    expect(topLevelSpans('{"a":{"x":1},"a":{"x":2},"sign":"s"}')).toBeNull();
    expect(topLevelSpans('{"a":{"x":1}')).toBeNull();
    expect(topLevelSpans('{"a":{"x":"}"}}  trailing')).toBeNull();
    expect(
      extractSignedResponse('{"alipay_trade_pay_response":"text","sign":"s"}', 'alipay.trade.pay'),
    ).toBeNull();
    // A string that looks like the key inside a value does not move the cut.
    const body =
      '{"x":"\\"alipay_trade_pay_response\\":{}","alipay_trade_pay_response":{"code":"10000"},"sign":"c2ln"}';
    expect(extractSignedResponse(body, 'alipay.trade.pay')?.signed_text).toBe('{"code":"10000"}');
  });
});

describe('A2: trade notification (sign and sign_type left out)', () => {
  const v = readVector<NotifyVector>('alipay-notify-trade.json');
  const key = readVectorText(v.inputs.alipay_public_key_file);

  it('builds the exact signed text and verifies', () => {
    expect(notifySignContent(v.inputs.form, 'trade')).toBe(v.expected.sign_content);
    expect(verifyNotifySignature(v.inputs.form, 'trade', key)).toBe(true);
  });

  it('fails with sign_type kept, with another amount, and for another app', () => {
    expect(verifyNotifySignature(v.inputs.form, 'gateway', key)).toBe(false);
    expect(verifyNotifySignature({ ...v.inputs.form, total_amount: '0.11' }, 'trade', key)).toBe(false);
    expect(verifyNotifySignature(v.inputs.foreign_form!, 'trade', key)).toBe(false);
  });
});

describe('A3: gateway notification (only sign left out)', () => {
  const v = readVector<NotifyVector>('alipay-notify-gateway.json');
  const key = readVectorText(v.inputs.alipay_public_key_file);

  it('builds the exact signed text and verifies only with sign_type kept', () => {
    expect(notifySignContent(v.inputs.form, 'gateway')).toBe(v.expected.sign_content);
    expect(verifyNotifySignature(v.inputs.form, 'gateway', key)).toBe(true);
    expect(verifyNotifySignature(v.inputs.form, 'trade', key)).toBe(false);
    expect(verifyNotifySignature(v.inputs.tampered_form!, 'gateway', key)).toBe(false);
  });
});

describe('request sign content and RSA2', () => {
  const keys = rsaPair();

  it('sorts by key, drops sign and empty values, keeps sign_type and raw values', () => {
    expect(
      signContent({
        sign: 'x',
        b: '2',
        a: 'a b&c=d',
        sign_type: 'RSA2',
        empty: '',
        gone: undefined,
        biz_content: '{"k":"中"}',
      }),
    ).toBe('a=a b&c=d&b=2&biz_content={"k":"中"}&sign_type=RSA2');
    // ASCII order: upper case before lower case, "_" (0x5f) before lower case letters.
    expect(signContent({ a_b: '1', aB: '2', ab: '3' })).toBe('aB=2&a_b=1&ab=3');
  });

  it('signs off the event loop with the same bytes as a synchronous SHA256withRSA', async () => {
    const content = 'app_id=2021000000000000&method=alipay.trade.query';
    const expected = sign('sha256', Buffer.from(content), keys.private_key_pem).toString('base64');
    expect(await signRsa2(content, keys.private_key_pem)).toBe(expected);
    expect(verifyRsa2(content, expected, keys.public_key_pem)).toBe(true);
    expect(verifyRsa2(`${content}x`, expected, keys.public_key_pem)).toBe(false);
  });

  it('reads the bare base64 keys the Alipay portal hands out', () => {
    const bare = (pem: string) => pem.replace(/-----[A-Z ]+-----/g, '').replace(/\s+/g, '');
    expect(privateKeyOf(bare(keys.private_key_pem)).asymmetricKeyType).toBe('rsa');
    expect(publicKeyOf(bare(keys.public_key_pem)).equals(publicKeyOf(keys.public_key_pem))).toBe(true);
    expect(() => privateKeyOf('not a key')).toThrow('not a private key (PEM or base64 DER)');
  });
});
