import { X509Certificate } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { readCertificate } from './cert-chain.ts';
import { certIdOf, sha256Hex, signAcp, signAcpSync, signContent, verifyAcp } from './crypto.ts';
import { decodeForm, encodeForm } from './form.ts';
import { KEYS, readVector } from './testing.ts';

/** Vectors U1 (request signature) and U2 (verification with the embedded certificate). */
interface U1 {
  inputs: { params: Record<string, string> };
  expected: { cert_id: string; sign_content: string; sha256_hex: string; signature_base64: string };
}
interface U2Case {
  sign_content: string;
  sha256_hex: string;
}
interface U2 {
  inputs: { cases: Record<string, { fields: Record<string, string> }> };
  expected: { sign_cert_serial_decimal: string; cases: Record<string, U2Case> };
}

const u1 = readVector<U1>('unionpay-request-sign.json');
const u2 = readVector<U2>('unionpay-callback-verify.json');

describe('U1: request signature', () => {
  it('builds the exact content and digest', () => {
    expect(signContent(u1.inputs.params)).toBe(u1.expected.sign_content);
    expect(sha256Hex(u1.expected.sign_content)).toBe(u1.expected.sha256_hex);
  });

  it('signs the hex digest byte for byte, on the thread pool and inline', async () => {
    expect(await signAcp(u1.inputs.params, KEYS.merchant_private_key_pem)).toBe(u1.expected.signature_base64);
    expect(signAcpSync(u1.inputs.params, KEYS.merchant_private_key_pem)).toBe(u1.expected.signature_base64);
  });

  it('derives certId as the decimal serial', () => {
    expect(certIdOf(new X509Certificate(KEYS.merchant_cert_pem))).toBe(u1.expected.cert_id);
    expect(certIdOf(new X509Certificate(KEYS.unionpay_sign_cert_pem))).toBe(
      u2.expected.sign_cert_serial_decimal,
    );
  });

  it('verifies its own signature with the certificate and refuses a changed field', () => {
    const key = new X509Certificate(KEYS.merchant_cert_pem).publicKey;
    const signed = { ...u1.inputs.params, signature: u1.expected.signature_base64 };
    expect(verifyAcp(signed, key)).toBe(true);
    expect(verifyAcp({ ...signed, txnAmt: '2' }, key)).toBe(false);
    expect(verifyAcp({ ...signed, signature: 'not base64!' }, key)).toBe(false);
  });
});

describe('U2: verification with signPubKeyCert', () => {
  for (const [name, c] of Object.entries(u2.inputs.cases)) {
    const expected = u2.expected.cases[name]!;
    it(`${name}: content, digest and signature; a changed amount fails`, () => {
      expect(signContent(c.fields)).toBe(expected.sign_content);
      expect(sha256Hex(expected.sign_content)).toBe(expected.sha256_hex);
      const key = readCertificate(c.fields.signPubKeyCert!)!.publicKey;
      expect(verifyAcp(c.fields, key)).toBe(true);
      expect(verifyAcp({ ...c.fields, txnAmt: '2' }, key)).toBe(false);
      // The certificate is signed with its CRLFs; normalising them breaks the signature.
      expect(
        verifyAcp({ ...c.fields, signPubKeyCert: c.fields.signPubKeyCert!.replaceAll('\r\n', '\n') }, key),
      ).toBe(false);
    });

    it(`${name}: survives a form round trip (CRLF, +, /, =, UTF-8)`, () => {
      const decoded = decodeForm(encodeForm(c.fields));
      expect(decoded).toEqual(c.fields);
    });
  }

  it('refuses forms that repeat a key or are empty', () => {
    expect(decodeForm('a=1&a=2')).toBeNull();
    expect(decodeForm('')).toBeNull();
    expect(decodeForm('a=1&b=%2B')).toEqual({ a: '1', b: '+' });
  });
});
