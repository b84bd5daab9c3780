import { createHash, X509Certificate } from 'node:crypto';

/**
 * Certificate serial numbers ("SN") of Alipay's certificate mode (公钥证书模式), computed as
 * alipay-sdk 4.x does (src/antcertutil.ts, read, not copied):
 *
 *   cert SN = md5_hex( issuerName + serialDecimal )
 *     issuerName   = the issuer's attributes in *reverse* certificate order, each written
 *                    `shortName=value` and joined by `,`, values raw (no RFC 2253 escaping);
 *                    shortName is one of CN C L ST O OU E, and empty for any other attribute type
 *                    (the SDK's x509 library knows no other short names);
 *     serialDecimal = the serial number in base 10.
 *   root SN = the SNs of those certificates of the root bundle that are signed with RSA
 *             (signature OID under 1.2.840.113549.1.1), joined by `_`, in file order.
 *
 * Node's X509Certificate parses and checks the certificate; its `issuer` string is escaped and
 * uses OpenSSL's names, so the issuer is read here from the DER with a minimal reader instead.
 */

const SHORT_NAMES: Readonly<Record<string, string>> = {
  '2.5.4.3': 'CN',
  '2.5.4.6': 'C',
  '2.5.4.7': 'L',
  '2.5.4.8': 'ST',
  '2.5.4.10': 'O',
  '2.5.4.11': 'OU',
  '1.2.840.113549.1.9.1': 'E',
};
const RSA_SIGNATURE_OID_PREFIX = '1.2.840.113549.1.1';
/** An Alipay root bundle holds four certificates; anything past this is not one. */
const BUNDLE_CERTS_MAX = 16;
/** Issuer attributes; real names have fewer than ten. */
const NAME_ATTRIBUTES_MAX = 64;

interface Tlv {
  tag: number;
  /** Content start and end (exclusive) in the buffer. */
  start: number;
  end: number;
}

function readTlv(der: Buffer, offset: number, limit: number): Tlv {
  if (offset + 2 > limit) throw new Error('truncated DER');
  const tag = der[offset]!;
  let length = der[offset + 1]!;
  let start = offset + 2;
  if (length & 0x80) {
    const bytes = length & 0x7f;
    if (bytes === 0 || bytes > 4 || start + bytes > limit) throw new Error('bad DER length');
    length = 0;
    for (let i = 0; i < bytes; i++) length = length * 256 + der[start + i]!;
    start += bytes;
  }
  const end = start + length;
  if (end > limit) throw new Error('truncated DER');
  return { tag, start, end };
}

/** The children of a constructed value. */
function children(der: Buffer, parent: Tlv, max: number): Tlv[] {
  const out: Tlv[] = [];
  let at = parent.start;
  while (at < parent.end) {
    if (out.length >= max) throw new Error('too many DER elements');
    const tlv = readTlv(der, at, parent.end);
    out.push(tlv);
    at = tlv.end;
  }
  return out;
}

function oidOf(der: Buffer, tlv: Tlv): string {
  if (tlv.tag !== 0x06 || tlv.end <= tlv.start) throw new Error('expected an OID');
  const first = der[tlv.start]!;
  const parts: bigint[] = [BigInt(Math.min(2, Math.floor(first / 40))), 0n];
  parts[1] = BigInt(first - Number(parts[0]) * 40);
  let value = 0n;
  for (let i = tlv.start + 1; i < tlv.end; i++) {
    const b = der[i]!;
    value = (value << 7n) | BigInt(b & 0x7f);
    if ((b & 0x80) === 0) {
      parts.push(value);
      value = 0n;
    }
  }
  return parts.join('.');
}

interface CertFacts {
  issuer_name: string;
  serial_decimal: string;
  signature_oid: string;
}

function certFacts(der: Buffer): CertFacts {
  const cert = readTlv(der, 0, der.length);
  const [tbs, signature_algorithm] = children(der, cert, 3);
  if (!tbs || !signature_algorithm) throw new Error('not a certificate');
  const tbs_items = children(der, tbs, 16);
  // [0] EXPLICIT version is optional (absent in v1 certificates).
  const skip = tbs_items[0]?.tag === 0xa0 ? 1 : 0;
  const serial = tbs_items[skip];
  const issuer = tbs_items[skip + 2];
  if (serial?.tag !== 0x02 || issuer?.tag !== 0x30) throw new Error('not a certificate');
  const serial_hex = der.subarray(serial.start, serial.end).toString('hex');
  const attributes: string[] = [];
  for (const set of children(der, issuer, NAME_ATTRIBUTES_MAX)) {
    for (const attribute of children(der, set, NAME_ATTRIBUTES_MAX)) {
      const [type, value] = children(der, attribute, 2);
      if (!type || !value) throw new Error('bad name attribute');
      const name = SHORT_NAMES[oidOf(der, type)] ?? '';
      // The SDK's library decodes every string type as UTF-8.
      attributes.push(`${name}=${der.subarray(value.start, value.end).toString('utf8')}`);
    }
  }
  const [algorithm_oid] = children(der, signature_algorithm, 2);
  if (!algorithm_oid) throw new Error('no signature algorithm');
  return {
    issuer_name: attributes.reverse().join(','),
    serial_decimal: BigInt(`0x${serial_hex === '' ? '0' : serial_hex}`).toString(10),
    signature_oid: oidOf(der, algorithm_oid),
  };
}

function snOf(facts: CertFacts): string {
  return createHash('md5')
    .update(facts.issuer_name + facts.serial_decimal, 'utf8')
    .digest('hex');
}

const PEM_CERT = /-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g;

function certificatesIn(pem: string): X509Certificate[] {
  const blocks = pem.match(PEM_CERT) ?? [];
  if (blocks.length === 0) throw new Error('no PEM certificate found');
  if (blocks.length > BUNDLE_CERTS_MAX) throw new Error(`more than ${BUNDLE_CERTS_MAX} certificates`);
  return blocks.map((block) => new X509Certificate(block));
}

/** The SN of the (first) certificate in `pem`: app_cert_sn, alipay_cert_sn. Throws on a bad PEM. */
export function certSnOf(pem: string): string {
  const [cert] = certificatesIn(pem);
  return snOf(certFacts(cert!.raw));
}

/** The joined SN of the RSA-signed certificates of a root bundle: alipay_root_cert_sn. */
export function rootCertSnOf(pem: string): string {
  return certificatesIn(pem)
    .map((cert) => certFacts(cert.raw))
    .filter((facts) => facts.signature_oid.startsWith(RSA_SIGNATURE_OID_PREFIX))
    .map(snOf)
    .join('_');
}
