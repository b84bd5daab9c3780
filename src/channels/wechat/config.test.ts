import { describe, expect, it } from 'vitest';
import { SeededRandom } from '../../domain/random.ts';
import { wechatAdapter } from './adapter.ts';
import { DEFAULT_API_BASE_URL, parseWechatConfig } from './config.ts';
import { accountFor, rsaPair, testMerchant } from './testing.ts';

const merchant_keys = rsaPair();
const platform_keys = rsaPair();
const merchant = testMerchant(new SeededRandom(1), merchant_keys);
const good = accountFor(merchant, {
  url: 'https://api.mch.weixin.qq.com',
  public_key_id: 'PUB_KEY_ID_0114232134912410000000000000',
  public_key_pem: platform_keys.public_key_pem,
}).config;

function errorOf(config: Record<string, string>): string {
  try {
    wechatAdapter.validateConfig(config);
  } catch (error) {
    return (error as Error).message;
  }
  return 'accepted';
}

describe('wechat account config', () => {
  it('accepts a complete config and defaults the API host', () => {
    expect(errorOf(good)).toBe('accepted');
    const { api_base_url: _u, ...without_url } = good;
    expect(parseWechatConfig(without_url).api_base_url).toBe(DEFAULT_API_BASE_URL);
    expect(parseWechatConfig({ ...good, api_base_url: 'http://127.0.0.1:8080/' }).api_base_url).toBe(
      'http://127.0.0.1:8080',
    );
  });

  for (const name of [
    'mchid',
    'appid',
    'merchant_serial_no',
    'merchant_private_key_pem',
    'apiv3_key',
    'wechatpay_public_key_id',
    'wechatpay_public_key_pem',
  ]) {
    it(`names a missing ${name}`, () => {
      const { [name]: _dropped, ...rest } = good;
      expect(errorOf(rest)).toBe(`wechat config: ${name} is missing`);
    });
  }

  it('names the bad key and never repeats a secret', () => {
    const cases: Array<[Record<string, string>, RegExp]> = [
      [{ mchid: '12ab' }, /^wechat config: mchid must be digits$/],
      [{ appid: 'wx 1' }, /^wechat config: appid /],
      [{ merchant_serial_no: 'XYZ' }, /^wechat config: merchant_serial_no /],
      [
        { apiv3_key: 'k'.repeat(31) },
        /^wechat config: apiv3_key must be exactly 32 bytes of printable ASCII$/,
      ],
      [
        { apiv3_key: `${'k'.repeat(30)}é` },
        /^wechat config: apiv3_key must be exactly 32 bytes of printable ASCII$/,
      ],
      [
        { wechatpay_public_key_id: '5DEA10EF55877E3C' },
        /^wechat config: wechatpay_public_key_id must be PUB_KEY_ID_/,
      ],
      [
        { merchant_private_key_pem: 'secret-not-a-pem' },
        /^wechat config: merchant_private_key_pem is not a readable PEM key$/,
      ],
      [
        { wechatpay_public_key_pem: 'not-a-pem' },
        /^wechat config: wechatpay_public_key_pem is not a readable PEM key$/,
      ],
      [{ api_base_url: 'ftp://x' }, /^wechat config: api_base_url must be an absolute http\(s\) URL$/],
      [
        { api_base_url: 'https://api.mch.weixin.qq.com/v3' },
        /^wechat config: api_base_url must be an origin/,
      ],
      [
        { api_base_url: 'https://user:pw@api.mch.weixin.qq.com' },
        /^wechat config: api_base_url must not carry/,
      ],
    ];
    for (const [change, pattern] of cases) {
      const message = errorOf({ ...good, ...change });
      expect(message).toMatch(pattern);
      for (const secret of Object.values(change))
        if (secret.length > 3) expect(message).not.toContain(secret);
      expect(message).not.toContain(good.apiv3_key);
    }
  });

  it('refuses a non-RSA merchant key', async () => {
    const { generateKeyPairSync } = await import('node:crypto');
    const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' })
      .privateKey.export({ type: 'pkcs8', format: 'pem' })
      .toString();
    expect(errorOf({ ...good, merchant_private_key_pem: ec })).toBe(
      'wechat config: merchant_private_key_pem must be an RSA key',
    );
  });
});

describe('wechat account modes', () => {
  const { wechatpay_public_key_id: _id, wechatpay_public_key_pem: _pem, ...certificates_only } = good;

  it('defaults to a direct merchant with v3 payment codes', () => {
    expect(parseWechatConfig(good)).toMatchObject({
      mode: 'direct',
      bar_protocol: 'v3',
      v2_sign_type: 'HMAC-SHA256',
    });
    expect(parseWechatConfig(good).sub_mchid).toBeUndefined();
  });

  it('partner mode needs sub_mchid; sub_appid is optional; direct refuses sub ids', () => {
    expect(errorOf({ ...good, mode: 'partner' })).toBe('wechat config: sub_mchid is missing');
    expect(parseWechatConfig({ ...good, mode: 'partner', sub_mchid: '1900000301' })).toMatchObject({
      mode: 'partner',
      sub_mchid: '1900000301',
    });
    expect(
      parseWechatConfig({ ...good, mode: 'partner', sub_mchid: '1900000301', sub_appid: 'wxsub1' }).sub_appid,
    ).toBe('wxsub1');
    expect(errorOf({ ...good, mode: 'partner', sub_mchid: 'x1' })).toBe(
      'wechat config: sub_mchid must be digits',
    );
    expect(errorOf({ ...good, mode: 'partner', sub_mchid: good.mchid! })).toBe(
      'wechat config: sub_mchid must differ from mchid',
    );
    expect(errorOf({ ...good, sub_mchid: '1900000301' })).toBe(
      'wechat config: sub_mchid and sub_appid are for mode partner only',
    );
    expect(errorOf({ ...good, mode: 'agent' })).toBe('wechat config: mode must be one of direct, partner');
  });

  it('without a public key the account uses platform certificates; half a key pair is refused', () => {
    expect(errorOf(certificates_only)).toBe('accepted');
    expect(parseWechatConfig(certificates_only).wechatpay_public_key_id).toBeUndefined();
  });

  it('v2 payment codes need the APIv2 key; its sign type is MD5 or HMAC-SHA256', () => {
    expect(errorOf({ ...good, bar_protocol: 'v2' })).toBe(
      'wechat config: api_v2_key is missing (bar_protocol v2 needs it)',
    );
    const v2 = { ...good, bar_protocol: 'v2', api_v2_key: 'k'.repeat(32), v2_sign_type: 'MD5' };
    expect(parseWechatConfig(v2)).toMatchObject({ bar_protocol: 'v2', v2_sign_type: 'MD5' });
    const short = errorOf({ ...v2, api_v2_key: 'secretshort' });
    expect(short).toBe('wechat config: api_v2_key must be exactly 32 printable ASCII characters');
    expect(errorOf({ ...v2, v2_sign_type: 'SHA1' })).toBe(
      'wechat config: v2_sign_type must be one of MD5, HMAC-SHA256',
    );
    expect(errorOf({ ...good, merchant_cert_pem: 'nope' })).toBe(
      'wechat config: merchant_cert_pem must be a PEM certificate',
    );
  });
});
