import type { FastifyInstance } from 'fastify';
import { alphanumericNonce } from '../../../domain/random.ts';
import { aeadEncrypt } from '../crypto.ts';
import { NOTIFICATION_ALGORITHM } from '../wire.ts';
import { type Answer, error, type RouteContext, signedRoute } from './answers.ts';
import type { SimCore } from './core.ts';

/**
 * GET /v3/certificates (protocols.md §1.4): every platform certificate, each sealed with the
 * merchant's APIv3 key (AAD "certificate"), the reply signed by the newest certificate. A merchant
 * in public-key mode has none and gets 404 RESOURCE_NOT_EXISTS, as real public-key-only merchants do.
 */
async function certificates(core: SimCore, route: RouteContext): Promise<Answer> {
  if (route.merchant.key_mode === 'public_key') {
    return error(404, 'RESOURCE_NOT_EXISTS', '无可用的平台证书，请在商户平台-API安全申请使用微信支付公钥');
  }
  const newest = await core.certificates.current();
  const data = core.certificates.list().map((cert) => {
    const nonce = alphanumericNonce(core.random, 12);
    return {
      serial_no: cert.serial_no,
      effective_time: cert.effective_time,
      expire_time: cert.expire_time,
      encrypt_certificate: {
        algorithm: NOTIFICATION_ALGORITHM,
        nonce,
        associated_data: 'certificate',
        ciphertext: aeadEncrypt(cert.certificate_pem, route.merchant.apiv3_key, nonce, 'certificate'),
      },
    };
  });
  return {
    status: 200,
    payload: { data },
    sign_with: { id: newest.serial_no, private_key_pem: newest.private_key_pem },
  };
}

export function registerCertificateRoutes(app: FastifyInstance, core: SimCore): void {
  app.get(
    '/v3/certificates',
    signedRoute(core, { operation: 'certificates', handler: (route) => certificates(core, route) }),
  );
}
