import { SIGNATURE_FIELD, signAcp } from '../crypto.ts';
import type { AcpFields } from '../form.ts';
import { SIGN_PUB_KEY_CERT_FIELD } from '../verify.ts';
import type { SimCa } from './ca.ts';

/**
 * Signs what the simulated UnionPay sends — every reply and every notification — as the real one
 * does (protocols.md §4.1): the signing certificate goes into signPubKeyCert, then the signature
 * covers every field, that certificate included.
 */
export class SimSigner {
  constructor(private readonly ca: SimCa) {}

  async sign(fields: AcpFields): Promise<AcpFields> {
    const with_cert = { ...fields, [SIGN_PUB_KEY_CERT_FIELD]: this.ca.sign_cert_pem };
    return { ...with_cert, [SIGNATURE_FIELD]: await signAcp(with_cert, this.ca.sign_key_pem) };
  }
}
