import { describe, expect, it } from 'vitest';
import { checkSignerCert, readCertificate, type TrustAnchors } from './cert-chain.ts';
import { DEFAULT_SIGNER_CN_NAME } from './constants.ts';
import { SIGNATURE_FIELD, signAcpSync } from './crypto.ts';
import { impostorSignerCert, KEYS, readVector } from './testing.ts';
import { verifyUnionpayMessage } from './verify.ts';

/**
 * The signPubKeyCert trust rule against the CFCA test chain of vector U2. The UnionPay test
 * signing certificate expired on 2025-07-31, so the clock is pinned to the message time.
 */
const cfca: TrustAnchors = {
  root: readCertificate(KEYS.cfca_root_pem)!,
  middle: readCertificate(KEYS.cfca_middle_pem)!,
  signer_cn_name: DEFAULT_SIGNER_CN_NAME,
};
const MESSAGE_TIME_MS = Date.UTC(2022, 8, 8, 5, 22, 6); // txnTime 20220908132206 in Beijing
const fields = readVector<{
  inputs: { cases: { consume_notification: { fields: Record<string, string> } } };
}>('unionpay-callback-verify.json').inputs.cases.consume_notification.fields;

describe('checkSignerCert', () => {
  it('accepts UnionPay test signing certificate chained to CFCA TEST OCA1 / CS CA at the message time', () => {
    expect(checkSignerCert(KEYS.unionpay_sign_cert_pem, cfca, MESSAGE_TIME_MS)).toMatchObject({ ok: true });
    expect(verifyUnionpayMessage(fields, cfca, MESSAGE_TIME_MS)).toEqual({ ok: true });
  });

  it('refuses it outside its validity, by the injected clock', () => {
    expect(checkSignerCert(KEYS.unionpay_sign_cert_pem, cfca, Date.UTC(2025, 7, 1))).toMatchObject({
      ok: false,
      reason: 'expired',
    });
    expect(checkSignerCert(KEYS.unionpay_sign_cert_pem, cfca, Date.UTC(2020, 0, 1))).toMatchObject({
      ok: false,
      reason: 'not_yet_valid',
    });
  });

  it('refuses a self-signed certificate, even with a valid signature by its key', () => {
    expect(checkSignerCert(KEYS.self_signed_cert_pem, cfca, MESSAGE_TIME_MS)).toMatchObject({
      ok: false,
      reason: 'not_issued_by_middle',
    });
    const forged: Record<string, string> = {
      ...fields,
      signPubKeyCert: KEYS.self_signed_cert_pem,
      txnAmt: '100000',
    };
    forged[SIGNATURE_FIELD] = signAcpSync(forged, KEYS.self_signed_private_key_pem);
    expect(verifyUnionpayMessage(forged, cfca, MESSAGE_TIME_MS)).toMatchObject({
      ok: false,
      reason: 'untrusted_cert',
    });
  });

  it('refuses an impostor: right issuer name and CN, signed by another key', () => {
    const impostor = impostorSignerCert();
    // Its validity starts today, after this clock: the signature check must refuse it first.
    expect(checkSignerCert(impostor.cert_pem, cfca, Date.UTC(2025, 0, 1))).toMatchObject({
      ok: false,
      reason: 'not_issued_by_middle',
    });
    const forged: Record<string, string> = { ...fields, signPubKeyCert: impostor.cert_pem };
    forged[SIGNATURE_FIELD] = signAcpSync(forged, impostor.private_key_pem);
    expect(verifyUnionpayMessage(forged, cfca, Date.UTC(2025, 0, 1))).toMatchObject({
      ok: false,
      reason: 'untrusted_cert',
    });
  });

  it('refuses a certificate of the right chain whose CN is not UnionPay (a merchant certificate)', () => {
    expect(checkSignerCert(KEYS.merchant_cert_pem, cfca, MESSAGE_TIME_MS)).toMatchObject({
      ok: false,
      reason: 'wrong_cn',
    });
    const forged: Record<string, string> = { ...fields, signPubKeyCert: KEYS.merchant_cert_pem };
    forged[SIGNATURE_FIELD] = signAcpSync(forged, KEYS.merchant_private_key_pem);
    expect(verifyUnionpayMessage(forged, cfca, MESSAGE_TIME_MS)).toMatchObject({
      ok: false,
      reason: 'untrusted_cert',
    });
  });

  it('refuses the genuine certificate when another signer name is configured', () => {
    expect(
      checkSignerCert(
        KEYS.unionpay_sign_cert_pem,
        { ...cfca, signer_cn_name: '某某支付公司' },
        MESSAGE_TIME_MS,
      ),
    ).toMatchObject({ ok: false, reason: 'wrong_cn' });
  });

  it('refuses a chain whose middle is not the one that issued the certificate, or not issued by the root', () => {
    const swapped = { ...cfca, middle: cfca.root };
    expect(checkSignerCert(KEYS.unionpay_sign_cert_pem, swapped, MESSAGE_TIME_MS)).toMatchObject({
      ok: false,
      reason: 'not_issued_by_middle',
    });
    const foreign_root = { ...cfca, root: readCertificate(KEYS.self_signed_cert_pem)! };
    expect(checkSignerCert(KEYS.unionpay_sign_cert_pem, foreign_root, MESSAGE_TIME_MS)).toMatchObject({
      ok: false,
      reason: 'middle_not_issued_by_root',
    });
  });

  it('refuses text that is not a certificate, and an unsigned message', () => {
    expect(
      checkSignerCert('-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----', cfca, MESSAGE_TIME_MS),
    ).toMatchObject({
      ok: false,
      reason: 'unreadable',
    });
    const { signature: _s, ...unsigned } = fields;
    expect(verifyUnionpayMessage(unsigned, cfca, MESSAGE_TIME_MS)).toMatchObject({
      ok: false,
      reason: 'unsigned',
    });
    expect(verifyUnionpayMessage({ ...fields, signMethod: '11' }, cfca, MESSAGE_TIME_MS)).toMatchObject({
      ok: false,
      reason: 'unsupported_sign_method',
    });
    expect(verifyUnionpayMessage({ ...fields, txnAmt: '2' }, cfca, MESSAGE_TIME_MS)).toMatchObject({
      ok: false,
      reason: 'bad_signature',
    });
  });
});
