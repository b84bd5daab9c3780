import { X509Certificate } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  AeadError,
  aeadDecrypt,
  aeadEncrypt,
  buildAuthorization,
  type GcmCipher,
  gcmDecrypt,
  gcmEncrypt,
  parseAuthorization,
  privateKeyFromPem,
  publicKeyFromPem,
  requestMessage,
  responseMessage,
  signSha256Rsa,
  signSha256RsaSync,
  v2Sign,
  v2SignString,
  verifySha256Rsa,
} from './crypto.ts';
import { readVector, readVectorText } from './testing.ts';
import { verifyWechatpaySignature } from './verify.ts';

/** Vector files keep `inputs.cases.<name>` beside `expected.cases.<name>`. */
interface Cases<I, E> {
  inputs: { cases: Record<string, I> };
  expected: { cases: Record<string, E> };
}

describe('W1 APIv2 sign (MD5, HMAC-SHA256)', () => {
  type In = { params: Record<string, string>; api_key?: string };
  type Out = { string_a: string; md5?: string; hmac_sha256?: string };
  const v = readVector<Cases<In, Out>>('wechat-v2-sign.json');
  const example = v.inputs.cases.official_example!;
  const expected = v.expected.cases.official_example!;

  it('builds stringA from sorted, non-empty fields', () => {
    expect(v2SignString(example.params)).toBe(expected.string_a);
  });
  it('reproduces the official MD5 and HMAC-SHA256 values', () => {
    expect(v2Sign(example.params, example.api_key!, 'MD5')).toBe(expected.md5);
    expect(v2Sign(example.params, example.api_key!, 'HMAC-SHA256')).toBe(expected.hmac_sha256);
  });
  it('leaves out sign and empty values', () => {
    expect(v2SignString(v.inputs.cases.exclusion_rule!.params)).toBe(
      v.expected.cases.exclusion_rule!.string_a,
    );
  });
  it('does not ignore the sign field by accident of value: a changed field changes the sign', () => {
    const changed = { ...example.params, body: 'test2' };
    expect(v2Sign(changed, example.api_key!, 'MD5')).not.toBe(expected.md5);
  });
});

describe('W2 SHA256withRSA', () => {
  type W2 = {
    inputs: {
      private_key_file: string;
      public_key_file: string;
      certificate_file: string;
      message: string;
      wrong_message: string;
    };
    expected: { signature_base64: string; certificate_serial_hex: string };
  };
  const v = readVector<W2>('wechat-v3-rsa-sign.json');
  const private_pem = readVectorText(v.inputs.private_key_file);
  const public_pem = readVectorText(v.inputs.public_key_file);
  const cert_pem = readVectorText(v.inputs.certificate_file);

  it('signs byte for byte like the Go SDK (sync and off-loop)', async () => {
    expect(signSha256RsaSync(v.inputs.message, private_pem)).toBe(v.expected.signature_base64);
    expect(await signSha256Rsa(v.inputs.message, private_pem)).toBe(v.expected.signature_base64);
  });
  it('verifies with the public key and with the certificate', () => {
    expect(verifySha256Rsa(v.inputs.message, v.expected.signature_base64, public_pem)).toBe(true);
    expect(verifySha256Rsa(v.inputs.message, v.expected.signature_base64, cert_pem)).toBe(true);
    expect(new X509Certificate(cert_pem).serialNumber).toBe(v.expected.certificate_serial_hex);
  });
  it('refuses the wrong message, a flipped signature and non-base64 input', () => {
    expect(verifySha256Rsa(v.inputs.wrong_message, v.expected.signature_base64, public_pem)).toBe(false);
    const sig = v.expected.signature_base64;
    const flipped = (sig[0] === 'A' ? 'B' : 'A') + sig.slice(1);
    expect(verifySha256Rsa(v.inputs.message, flipped, public_pem)).toBe(false);
    expect(verifySha256Rsa(v.inputs.message, `${sig}!`, public_pem)).toBe(false);
    expect(verifySha256Rsa(v.inputs.message, '', public_pem)).toBe(false);
    expect(verifySha256Rsa(v.inputs.message, sig, 'not a key')).toBe(false);
  });
  it('parses each PEM once', () => {
    expect(privateKeyFromPem(private_pem)).toBe(privateKeyFromPem(private_pem));
    expect(publicKeyFromPem(cert_pem)).toBe(publicKeyFromPem(cert_pem));
  });
  it('never puts key material in a parse error', () => {
    expect(() =>
      privateKeyFromPem('-----BEGIN PRIVATE KEY-----\nc2VjcmV0\n-----END PRIVATE KEY-----'),
    ).toThrow(/^not a PEM private key$/);
  });
  it('rejects a bad key asynchronously, not by throwing', async () => {
    await expect(signSha256Rsa('x', 'garbage')).rejects.toThrow('not a PEM private key');
  });
});

/** The conformance helper: Go-derived vectors pick AES-128 by their 16-byte keys. */
function cipherForKey(key: string): GcmCipher | null {
  const bytes = Buffer.byteLength(key, 'utf8');
  return bytes === 16 ? 'aes-128-gcm' : bytes === 24 ? 'aes-192-gcm' : bytes === 32 ? 'aes-256-gcm' : null;
}

describe('W3 notification: signature, ±300 s, decryption', () => {
  type W3 = {
    inputs: {
      now_unix: number;
      apiv3_key: string;
      platform_certificate_file: string;
      headers: Record<string, string>;
      body: string;
    };
    expected: {
      certificate_serial_hex: string;
      verify_message: string;
      plaintext: string;
      plaintext_json: unknown;
    };
  };
  const v = readVector<W3>('wechat-v3-notification.json');
  const cert_pem = readVectorText(v.inputs.platform_certificate_file);
  const headers = Object.fromEntries(
    Object.entries(v.inputs.headers).map(([k, val]) => [k.toLowerCase(), val]),
  );
  const key = { id: v.expected.certificate_serial_hex, public_key_pem: cert_pem };
  const now = v.inputs.now_unix;

  it('builds the verified message and accepts the signature', () => {
    expect(responseMessage(headers['wechatpay-timestamp']!, headers['wechatpay-nonce']!, v.inputs.body)).toBe(
      v.expected.verify_message,
    );
    expect(verifyWechatpaySignature(headers, v.inputs.body, key, now)).toEqual({ ok: true });
  });
  it('compares the serial case-insensitively', () => {
    expect(
      verifyWechatpaySignature(headers, v.inputs.body, { ...key, id: key.id.toLowerCase() }, now),
    ).toEqual({ ok: true });
  });
  it('refuses a body with one byte changed', () => {
    const body = v.inputs.body.replace('签约成功', '签约失败');
    expect(verifyWechatpaySignature(headers, body, key, now)).toMatchObject({
      ok: false,
      reason: 'bad_signature',
    });
  });
  it('accepts 299 s of skew either way and refuses 300 s', () => {
    expect(verifyWechatpaySignature(headers, v.inputs.body, key, now + 299).ok).toBe(true);
    expect(verifyWechatpaySignature(headers, v.inputs.body, key, now - 299).ok).toBe(true);
    expect(verifyWechatpaySignature(headers, v.inputs.body, key, now + 300)).toMatchObject({
      reason: 'timestamp_skew',
    });
    expect(verifyWechatpaySignature(headers, v.inputs.body, key, now - 300)).toMatchObject({
      reason: 'timestamp_skew',
    });
  });
  it('refuses another serial, a missing header and a SIGNTEST probe', () => {
    expect(
      verifyWechatpaySignature(headers, v.inputs.body, { ...key, id: 'F5765756002FDD77' }, now),
    ).toMatchObject({
      reason: 'unknown_serial',
    });
    const { 'wechatpay-nonce': _n, ...without_nonce } = headers;
    expect(verifyWechatpaySignature(without_nonce, v.inputs.body, key, now)).toMatchObject({
      reason: 'missing_header',
    });
    const probe = {
      ...headers,
      'wechatpay-signature': `WECHATPAY/SIGNTEST/${headers['wechatpay-signature']}`,
    };
    expect(verifyWechatpaySignature(probe, v.inputs.body, key, now)).toMatchObject({
      reason: 'signtest_probe',
    });
    const typed = { ...headers, 'wechatpay-signature-type': 'WECHATPAY2-SM2-WITH-SM3' };
    expect(verifyWechatpaySignature(typed, v.inputs.body, key, now)).toMatchObject({
      reason: 'unsupported_signature_type',
    });
  });
  it('decrypts the resource (AES-128 by key length) to the expected plaintext', () => {
    const resource = (
      JSON.parse(v.inputs.body) as {
        resource: { ciphertext: string; nonce: string; associated_data: string };
      }
    ).resource;
    const cipher = cipherForKey(v.inputs.apiv3_key);
    expect(cipher).toBe('aes-128-gcm');
    const plaintext = gcmDecrypt(
      cipher!,
      resource.ciphertext,
      v.inputs.apiv3_key,
      resource.nonce,
      resource.associated_data,
    );
    expect(plaintext).toBe(v.expected.plaintext);
    expect(JSON.parse(plaintext)).toEqual(v.expected.plaintext_json);
    expect(() =>
      gcmDecrypt(
        'aes-128-gcm',
        resource.ciphertext,
        'testMchAPIv3Key1',
        resource.nonce,
        resource.associated_data,
      ),
    ).toThrow(AeadError);
    // Production insists on 32-byte keys, so the 16-byte vector key is refused outright.
    expect(() =>
      aeadDecrypt(resource.ciphertext, v.inputs.apiv3_key, resource.nonce, resource.associated_data),
    ).toThrow(expect.objectContaining({ reason: 'key_length' }));
  });
});

describe('W4/W5 AEAD_AES_256_GCM', () => {
  type In = { key: string; nonce: string; associated_data: string; ciphertext_base64: string };
  type Out = {
    ok: boolean;
    plaintext?: string;
    encrypt_gives?: string;
    plaintext_file?: string;
    plaintext_certificate_serial_hex?: string;
  };
  const v = readVector<Cases<In, Out>>('wechat-aead.json');

  function decryptCase(c: In): string {
    const cipher = cipherForKey(c.key);
    // No AES size fits the key: the production entry point must say so.
    if (cipher === null) return aeadDecrypt(c.ciphertext_base64, c.key, c.nonce, c.associated_data);
    return gcmDecrypt(cipher, c.ciphertext_base64, c.key, c.nonce, c.associated_data);
  }

  const names = Object.keys(v.inputs.cases);
  it('has every case of the vector file', () => {
    expect(names).toHaveLength(11);
  });
  for (const name of names) {
    const input = v.inputs.cases[name]!;
    const expected = v.expected.cases[name]!;
    it(`${name}: ${expected.ok ? 'decrypts' : 'is refused'}`, () => {
      if (!expected.ok) {
        expect(() => decryptCase(input)).toThrow(AeadError);
        return;
      }
      const plaintext = decryptCase(input);
      if (expected.plaintext !== undefined) expect(plaintext).toBe(expected.plaintext);
      if (expected.plaintext_file !== undefined) {
        expect(plaintext.trim()).toBe(readVectorText(expected.plaintext_file).trim());
        expect(new X509Certificate(plaintext).serialNumber).toBe(expected.plaintext_certificate_serial_hex);
      }
      if (expected.encrypt_gives !== undefined) {
        expect(
          gcmEncrypt(
            cipherForKey(input.key)!,
            expected.plaintext ?? '',
            input.key,
            input.nonce,
            input.associated_data,
          ),
        ).toBe(expected.encrypt_gives);
      }
    });
  }

  it('names why a decryption failed', () => {
    const ok = v.inputs.cases.java_aes256_ok!;
    const reason = (f: () => unknown) => {
      try {
        f();
      } catch (error) {
        return (error as AeadError).reason;
      }
      return 'no error';
    };
    expect(reason(() => aeadDecrypt(ok.ciphertext_base64, ok.key, ok.nonce, 'bad'))).toBe(
      'authentication_failed',
    );
    expect(reason(() => aeadDecrypt('', ok.key, ok.nonce, ok.associated_data))).toBe('too_short');
    expect(reason(() => aeadDecrypt('SGVsbG8=', ok.key, ok.nonce, ok.associated_data))).toBe('too_short');
    expect(reason(() => aeadDecrypt('not base64!', ok.key, ok.nonce, ok.associated_data))).toBe('not_base64');
    expect(
      reason(() => aeadDecrypt(ok.ciphertext_base64, ok.key.slice(1), ok.nonce, ok.associated_data)),
    ).toBe('key_length');
    expect(reason(() => aeadDecrypt(ok.ciphertext_base64, ok.key, '', ok.associated_data))).toBe(
      'nonce_length',
    );
    // One flipped bit anywhere in ciphertext or tag fails authentication.
    const sealed = Buffer.from(ok.ciphertext_base64, 'base64');
    for (const index of [0, sealed.length - 1]) {
      const tampered = Buffer.from(sealed);
      tampered[index]! ^= 1;
      expect(
        reason(() => aeadDecrypt(tampered.toString('base64'), ok.key, ok.nonce, ok.associated_data)),
      ).toBe('authentication_failed');
    }
  });
  it('round-trips a real-shape resource (32-byte key, 12-byte nonce)', () => {
    const key = 'a7cde1ZJB1kG2e7VfTs3jQzaWizur8Gb';
    const sealed = aeadEncrypt('{"trade_state":"SUCCESS"}', key, 'abcdefghijkl', 'transaction');
    expect(aeadDecrypt(sealed, key, 'abcdefghijkl', 'transaction')).toBe('{"trade_state":"SUCCESS"}');
    expect(() => aeadEncrypt('x', 'short', 'abcdefghijkl', '')).toThrow(AeadError);
  });
});

describe('W6 message and Authorization format', () => {
  type In = {
    kind: 'request' | 'response' | 'authorization';
    method?: string;
    canonical_url?: string;
    timestamp?: string;
    nonce?: string;
    body?: string;
    mchid?: string;
    serial_no?: string;
    nonce_str?: string;
    signature?: string;
  };
  type Out = { message?: string; authorization?: string };
  const v = readVector<Cases<In, Out>>('wechat-v3-message-format.json');

  for (const [name, c] of Object.entries(v.inputs.cases)) {
    const expected = v.expected.cases[name]!;
    it(name, () => {
      if (c.kind === 'request') {
        const message = requestMessage(c.method!, c.canonical_url!, c.timestamp!, c.nonce!, c.body!);
        expect(message).toBe(expected.message);
        if (expected.authorization !== undefined) {
          // The Go cases use a mock signer: scheme WECHATPAY2-Mock, signature "Sign:" + message.
          const header = buildAuthorization(
            {
              mchid: c.mchid!,
              nonce_str: c.nonce!,
              timestamp: c.timestamp!,
              serial_no: c.serial_no!,
              signature: `Sign:${message}`,
            },
            'WECHATPAY2-Mock',
          );
          expect(header).toBe(expected.authorization);
          expect(parseAuthorization(header)?.pairs.signature).toBe(`Sign:${message}`);
        }
      } else if (c.kind === 'response') {
        expect(responseMessage(c.timestamp!, c.nonce!, c.body!)).toBe(expected.message);
      } else {
        const pairs = {
          mchid: c.mchid!,
          nonce_str: c.nonce_str!,
          timestamp: c.timestamp!,
          serial_no: c.serial_no!,
          signature: c.signature!,
        };
        // axios-plugin orders the pairs differently from us: compare parsed pairs, not strings.
        expect(parseAuthorization(expected.authorization!)).toEqual({
          scheme: 'WECHATPAY2-SHA256-RSA2048',
          pairs,
        });
        expect(parseAuthorization(buildAuthorization(pairs))).toEqual({
          scheme: 'WECHATPAY2-SHA256-RSA2048',
          pairs,
        });
      }
    });
  }

  it('refuses malformed headers', () => {
    const good = buildAuthorization({
      mchid: '1',
      nonce_str: '2',
      timestamp: '3',
      serial_no: '4',
      signature: '5',
    });
    expect(parseAuthorization(good)).not.toBeNull();
    expect(parseAuthorization(good.replace(',signature="5"', ''))).toBeNull();
    expect(parseAuthorization(`${good},mchid="9"`)).toBeNull();
    expect(parseAuthorization(good.replace('mchid="1"', 'mchid=1'))).toBeNull();
    expect(parseAuthorization('WECHATPAY2-SHA256-RSA2048')).toBeNull();
    expect(parseAuthorization(`${good} trailing`)).toBeNull();
    expect(parseAuthorization(`X ${'a="b",'.repeat(1000)}`)).toBeNull();
    // Unknown pairs are ignored; spaces after commas are tolerated.
    expect(parseAuthorization(good.replaceAll(',', ', ').concat(', extra="x"'))?.pairs.serial_no).toBe('4');
  });
});
