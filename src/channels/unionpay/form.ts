/**
 * ACP messages travel as application/x-www-form-urlencoded `k=v&…` bodies, both ways. Signatures
 * cover the decoded values, so decoding must be exact: a key sent twice is refused rather than
 * guessed at, and so is a body with more fields than any ACP message has.
 */
export type AcpFields = Record<string, string>;

/** The largest ACP message we have seen has about 40 fields. */
export const FORM_FIELDS_MAX = 200;

export const FORM_CONTENT_TYPE = 'application/x-www-form-urlencoded;charset=utf-8';

/** Fields in the given order, values percent-encoded ("+" for space, "%2B" for "+"). */
export function encodeForm(fields: Readonly<AcpFields>): string {
  return new URLSearchParams(Object.entries(fields)).toString();
}

/** The fields of a form body, or null when it repeats a key, has too many or is not a form. */
export function decodeForm(body: string): AcpFields | null {
  if (body.trim() === '') return null;
  const params = new URLSearchParams(body);
  const fields: AcpFields = Object.create(null) as AcpFields;
  let count = 0;
  for (const [name, value] of params) {
    if (++count > FORM_FIELDS_MAX) return null;
    if (name === '' || Object.hasOwn(fields, name)) return null;
    fields[name] = value;
  }
  return fields;
}
