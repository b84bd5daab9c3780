import { createPublicKey } from 'node:crypto';
import { AlipaySdk } from 'alipay-sdk';
import { describe, expect, it } from 'vitest';
import { certSnOf, rootCertSnOf } from './cert-sn.ts';
import { DEFAULT_GATEWAY_URL, parseAlipayConfig } from './config.ts';
import { makeTestCerts, rsaPair } from './testing.ts';

const app = rsaPair();
const alipay = rsaPair();
const isv = rsaPair();
const certs = makeTestCerts(alipay, app, isv);
const APP_ID = '2021000000000001';

describe('key mode', () => {
  it('accepts a complete config and defaults the gateway', () => {
    const config = parseAlipayConfig({
      app_id: APP_ID,
      app_private_key_pem: app.private_key_pem,
      alipay_public_key_pem: alipay.public_key_pem,
    });
    expect(config).toMatchObject({ app_id: APP_ID, mode: 'key', gateway_url: DEFAULT_GATEWAY_URL });
    expect(config.app_cert_sn).toBeUndefined();
  });

  it('takes ISV settings and checks them', () => {
    const base = {
      app_id: APP_ID,
      app_private_key_pem: app.private_key_pem,
      alipay_public_key_pem: alipay.public_key_pem,
    };
    expect(
      parseAlipayConfig({ ...base, app_auth_token: '202501BBabc', seller_id: '2088000000000009' }),
    ).toMatchObject({
      app_auth_token: '202501BBabc',
      seller_id: '2088000000000009',
    });
    expect(() => parseAlipayConfig({ ...base, seller_id: '1234' })).toThrow(
      'alipay config: seller_id must be 2088 and 12 digits',
    );
  });

  it.each([
    [{}, 'app_id is missing'],
    [{ app_id: 'abc' }, 'app_id must be digits'],
    [{ app_id: APP_ID }, 'app_private_key_pem is missing'],
    [{ app_id: APP_ID, app_private_key_pem: 'SECRET-VALUE' }, 'app_private_key_pem is not a readable key'],
    [{ app_id: APP_ID, app_private_key_pem: app.private_key_pem }, 'alipay_public_key_pem is missing'],
    [
      {
        app_id: APP_ID,
        app_private_key_pem: app.private_key_pem,
        alipay_public_key_pem: alipay.public_key_pem,
        gateway_url: 'ftp://x',
      },
      'gateway_url must be an absolute http(s) URL',
    ],
    [
      {
        app_id: APP_ID,
        app_private_key_pem: app.private_key_pem,
        alipay_public_key_pem: alipay.public_key_pem,
        app_cert_pem: certs.app_cert_pem,
      },
      'set alipay_public_key_pem (key mode) or the certificates, not both',
    ],
  ])('refuses bad config #%# naming the key, never the value', (config, message) => {
    let error: Error | undefined;
    try {
      parseAlipayConfig(config as Record<string, string>);
    } catch (e) {
      error = e as Error;
    }
    expect(error?.message).toBe(`alipay config: ${message}`);
    expect(error?.message).not.toContain('SECRET-VALUE');
    expect(error?.message).not.toContain('PRIVATE KEY');
  });
});

describe('certificate mode', () => {
  const cert_config = {
    app_id: APP_ID,
    app_private_key_pem: app.private_key_pem,
    app_cert_pem: certs.app_cert_pem,
    alipay_public_cert_pem: certs.alipay_public_cert_pem,
    alipay_root_cert_pem: certs.alipay_root_cert_pem,
  };

  it('computes the three SNs exactly as alipay-sdk does', () => {
    const sdk = new AlipaySdk({
      appId: APP_ID,
      privateKey: app.private_key_pem,
      keyType: 'PKCS8',
      appCertContent: certs.app_cert_pem,
      alipayPublicCertContent: certs.alipay_public_cert_pem,
      alipayRootCertContent: certs.alipay_root_cert_pem,
    });
    const config = parseAlipayConfig(cert_config);
    expect(config.mode).toBe('cert');
    expect(config.app_cert_sn).toBe(sdk.config.appCertSn);
    expect(config.alipay_cert_sn).toBe(sdk.config.alipayCertSn);
    expect(config.alipay_root_cert_sn).toBe(sdk.config.alipayRootCertSn);
    // Two RSA roots joined by "_", the EC root skipped.
    expect(config.alipay_root_cert_sn).toMatch(/^[0-9a-f]{32}_[0-9a-f]{32}$/);
    expect(config.alipay_public_key.equals(createPublicKey(alipay.public_key_pem))).toBe(true);
  });

  it('gives each certificate its own SN', () => {
    expect(
      new Set([
        certSnOf(certs.app_cert_pem),
        certSnOf(certs.isv_cert_pem),
        certSnOf(certs.alipay_public_cert_pem),
      ]).size,
    ).toBe(3);
    expect(rootCertSnOf(certs.alipay_root_cert_pem).split('_')).toHaveLength(2);
  });

  it('refuses a missing certificate, a bad one, and a certificate for another key', () => {
    const { alipay_root_cert_pem: _, ...without_root } = cert_config;
    expect(() => parseAlipayConfig(without_root)).toThrow('alipay config: alipay_root_cert_pem is missing');
    expect(() => parseAlipayConfig({ ...cert_config, app_cert_pem: 'garbage' })).toThrow(
      'alipay config: app_cert_pem is not a readable PEM certificate',
    );
    expect(() => parseAlipayConfig({ ...cert_config, app_cert_pem: certs.isv_cert_pem })).toThrow(
      'alipay config: app_cert_pem does not certify app_private_key_pem',
    );
  });
});
