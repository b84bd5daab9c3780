import { type KeyObject, X509Certificate } from 'node:crypto';

/**
 * Whether a `signPubKeyCert` carried inside a message may be believed. Anyone can put a
 * certificate in a message, so it counts only when (protocols.md §4.1, vectors README):
 *   - it was issued by the configured middle (intermediate) certificate, which was issued by the
 *     configured root: names match (checkIssued) and the signatures verify (verify);
 *   - all three are valid at the injected clock's now (never the machine's date: tests replay
 *     messages signed with certificates that have since expired);
 *   - the middle and root are CA certificates, the leaf is not;
 *   - its subject CN names UnionPay's signing identity: `<type>@<code>@<name>@<serial>` with
 *     <name> as configured.
 */

export interface TrustAnchors {
  root: X509Certificate;
  middle: X509Certificate;
  /** The third `@` field the signing certificate's CN must hold. */
  signer_cn_name: string;
}

export type CertFailure =
  | 'unreadable'
  | 'not_issued_by_middle'
  | 'middle_not_issued_by_root'
  | 'not_yet_valid'
  | 'expired'
  | 'not_a_signing_cert'
  | 'wrong_cn';

export type CertCheck =
  | { ok: true; public_key: KeyObject }
  | { ok: false; reason: CertFailure; detail: string };

/** A PEM certificate is about 1.5 kB; the cap bounds parsing work on hostile input. */
const CERT_PEM_CHARS_MAX = 16 * 1024;
const CN_FIELDS = 4;

function fail(reason: CertFailure, detail: string): CertCheck {
  return { ok: false, reason, detail };
}

/** Parses a PEM certificate, or null. */
export function readCertificate(pem: string): X509Certificate | null {
  if (pem.length > CERT_PEM_CHARS_MAX || !pem.includes('-----BEGIN CERTIFICATE-----')) return null;
  try {
    return new X509Certificate(pem);
  } catch {
    return null;
  }
}

function validityProblem(cert: X509Certificate, now_ms: number, which: string): CertCheck | null {
  const from_ms = Date.parse(cert.validFrom);
  const to_ms = Date.parse(cert.validTo);
  if (!Number.isFinite(from_ms) || !Number.isFinite(to_ms))
    return fail('unreadable', `${which} has no dates`);
  if (now_ms < from_ms) return fail('not_yet_valid', `${which} is not valid before ${cert.validFrom}`);
  if (now_ms > to_ms) return fail('expired', `${which} expired ${cert.validTo}`);
  return null;
}

/** The single CN of a certificate's subject, or null when there is none or several. */
export function subjectCn(cert: X509Certificate): string | null {
  const cn = cert.toLegacyObject().subject?.CN as unknown;
  return typeof cn === 'string' ? cn : null;
}

/** Whether a CN is `<type>@<code>@<name>@<serial>` with the expected name. */
export function cnNamesSigner(cn: string, signer_cn_name: string): boolean {
  const parts = cn.split('@');
  return parts.length === CN_FIELDS && parts[2] === signer_cn_name;
}

export function checkSignerCert(pem: string, anchors: TrustAnchors, now_ms: number): CertCheck {
  const leaf = readCertificate(pem);
  if (!leaf) return fail('unreadable', 'signPubKeyCert is not a PEM certificate');
  const { root, middle } = anchors;
  if (!(leaf.checkIssued(middle) && leaf.verify(middle.publicKey))) {
    return fail('not_issued_by_middle', 'signPubKeyCert was not issued by the configured middle certificate');
  }
  // The anchors are configuration, but a middle from another chain would be a silent mistake.
  if (!(middle.checkIssued(root) && middle.verify(root.publicKey))) {
    return fail('middle_not_issued_by_root', 'the configured middle certificate was not issued by the root');
  }
  if (leaf.ca || !middle.ca || !root.ca) {
    return fail('not_a_signing_cert', 'the chain is not CA → CA → end-entity');
  }
  const problem =
    validityProblem(leaf, now_ms, 'signPubKeyCert') ??
    validityProblem(middle, now_ms, 'the middle certificate') ??
    validityProblem(root, now_ms, 'the root certificate');
  if (problem) return problem;
  const cn = subjectCn(leaf);
  if (cn === null || !cnNamesSigner(cn, anchors.signer_cn_name)) {
    return fail('wrong_cn', 'signPubKeyCert subject CN does not name the UnionPay signing identity');
  }
  return { ok: true, public_key: leaf.publicKey };
}
