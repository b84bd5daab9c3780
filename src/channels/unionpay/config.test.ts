import { describe, expect, it } from 'vitest';
import { parseUnionpayConfig } from './config.ts';
import { DEFAULT_GATEWAY_BASE_URL, DEFAULT_SIGNER_CN_NAME } from './constants.ts';
import { KEYS, TEST_CERT_ID, TEST_MER_ID } from './testing.ts';

const valid: Record<string, string> = {
  mer_id: TEST_MER_ID,
  sign_private_key_pem: KEYS.merchant_private_key_pem,
  sign_cert_pem: KEYS.merchant_cert_pem,
  root_cert_pem: KEYS.cfca_root_pem,
  middle_cert_pem: KEYS.cfca_middle_pem,
};

function problemOf(config: Record<string, string>): string {
  try {
    parseUnionpayConfig(config);
  } catch (error) {
    return (error as Error).message;
  }
  return '(accepted)';
}

describe('parseUnionpayConfig', () => {
  it('derives certId and fills defaults', () => {
    const config = parseUnionpayConfig(valid);
    expect(config.cert_id).toBe(TEST_CERT_ID);
    expect(config.gateway_base_url).toBe(DEFAULT_GATEWAY_BASE_URL);
    expect(config.anchors.signer_cn_name).toBe(DEFAULT_SIGNER_CN_NAME);
    expect(
      parseUnionpayConfig({ ...valid, gateway_base_url: 'http://127.0.0.1:9/up/' }).gateway_base_url,
    ).toBe('http://127.0.0.1:9/up');
  });

  it('names the bad key and never echoes a value', () => {
    const cases: Array<[Record<string, string>, string]> = [
      [{ ...valid, mer_id: '' }, 'unionpay config: mer_id is missing'],
      [{ ...valid, mer_id: '12345' }, 'unionpay config: mer_id must be 15 letters or digits'],
      [
        { ...valid, sign_private_key_pem: 'nope' },
        'unionpay config: sign_private_key_pem is not a readable PEM private key',
      ],
      [
        { ...valid, sign_private_key_pem: KEYS.self_signed_private_key_pem },
        'unionpay config: sign_cert_pem does not hold the public half of sign_private_key_pem',
      ],
      [{ ...valid, root_cert_pem: 'x' }, 'unionpay config: root_cert_pem is not a readable PEM certificate'],
      [
        { ...valid, middle_cert_pem: KEYS.self_signed_cert_pem },
        'unionpay config: middle_cert_pem was not issued by root_cert_pem',
      ],
      [
        { ...valid, gateway_base_url: 'ftp://x' },
        'unionpay config: gateway_base_url must be an absolute http(s) URL',
      ],
      [
        { ...valid, encrypt_cert_pem: 'x' },
        'unionpay config: encrypt_cert_pem is not a readable PEM certificate',
      ],
      [{ ...valid, signer_cn_name: 'a@b' }, 'unionpay config: signer_cn_name must not contain @'],
    ];
    for (const [config, message] of cases) {
      const problem = problemOf(config);
      expect(problem).toBe(message);
      expect(problem).not.toContain('BEGIN');
    }
  });
});
