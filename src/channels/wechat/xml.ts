/**
 * The XML of WeChat Pay APIv2 (protocols.md §2.1, §2.4), and nothing more: one flat
 * `<xml><key><![CDATA[value]]></key>…</xml>` element of simple fields.
 *
 * The 2018 XXE in WeChat's own Java SDK came from handing such bodies to a general XML parser
 * before checking the signature. This reader is not a general parser: it refuses any DOCTYPE,
 * ENTITY or other markup declaration before looking at anything else, never resolves an entity
 * (a `&` outside CDATA is refused), and accepts only the flat shape. It runs before the sign check
 * (the sign is a field), so it must be safe on hostile input: bounded size, bounded field count,
 * linear time.
 */

export class V2XmlError extends Error {
  override name = 'V2XmlError';
}

/** WeChat's v2 bodies are a few hundred bytes; this leaves room and bounds the work. */
export const V2_XML_BYTES_MAX = 64 * 1024;
/** The largest v2 reply has about 40 fields. */
export const V2_XML_FIELDS_MAX = 128;

const FIELD_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;
const DECLARATION = /^<\?xml(?:\s+[A-Za-z]+\s*=\s*(?:"[^"<>]*"|'[^'<>]*'))*\s*\?>/;
/** Markup declarations and processing instructions: refused wherever they appear. */
const FORBIDDEN = /<!\s*(?:DOCTYPE|ENTITY|ELEMENT|ATTLIST|NOTATION)/i;

/** Parses a flat v2 body into its fields; throws V2XmlError saying what is wrong (never echoing it). */
export function parseV2Xml(text: string): Record<string, string> {
  if (Buffer.byteLength(text, 'utf8') > V2_XML_BYTES_MAX)
    throw new V2XmlError(`XML body larger than ${V2_XML_BYTES_MAX} bytes`);
  // Before any parsing: the cheap scan that makes XXE and entity expansion impossible.
  if (FORBIDDEN.test(text)) throw new V2XmlError('XML with a DOCTYPE or ENTITY declaration is refused');
  let at = 0;
  const skipSpace = () => {
    while (at < text.length && /\s/.test(text[at]!)) at++;
  };
  // A leading byte-order mark is tolerated; nothing else may precede the root.
  if (text.charCodeAt(0) === 0xfeff) at = 1;
  skipSpace();
  const declaration = DECLARATION.exec(text.slice(at, at + 200));
  if (declaration) at += declaration[0].length;
  skipSpace();
  if (!text.startsWith('<xml>', at)) throw new V2XmlError('root element must be <xml>');
  at += '<xml>'.length;

  const fields: Record<string, string> = Object.create(null) as Record<string, string>;
  let count = 0;
  for (;;) {
    skipSpace();
    if (text.startsWith('</xml>', at)) {
      at += '</xml>'.length;
      break;
    }
    if (count >= V2_XML_FIELDS_MAX) throw new V2XmlError(`more than ${V2_XML_FIELDS_MAX} fields`);
    if (text[at] !== '<') throw new V2XmlError('text outside a field');
    const close_angle = text.indexOf('>', at);
    if (close_angle < 0) throw new V2XmlError('unterminated tag');
    const name = text.slice(at + 1, close_angle);
    if (!FIELD_NAME.test(name)) throw new V2XmlError('field tag is not a plain name');
    at = close_angle + 1;
    let value: string;
    if (text.startsWith('<![CDATA[', at)) {
      const end = text.indexOf(']]>', at + 9);
      if (end < 0) throw new V2XmlError('unterminated CDATA');
      value = text.slice(at + 9, end);
      at = end + 3;
    } else {
      const next = text.indexOf('<', at);
      if (next < 0) throw new V2XmlError('unterminated field');
      value = text.slice(at, next);
      // No entity is ever resolved: the only safe reading of `&` is to refuse it.
      if (value.includes('&')) throw new V2XmlError('entity references are refused');
      at = next;
    }
    const end_tag = `</${name}>`;
    if (!text.startsWith(end_tag, at)) throw new V2XmlError('field is not flat text');
    at += end_tag.length;
    if (Object.hasOwn(fields, name)) throw new V2XmlError('a field appears twice');
    fields[name] = value;
    count++;
  }
  skipSpace();
  if (at !== text.length) throw new V2XmlError('content after </xml>');
  return { ...fields };
}

/** `<xml><k><![CDATA[v]]></k>…</xml>`, in the given key order; empty values are left out. */
export function buildV2Xml(fields: Readonly<Record<string, string | undefined>>): string {
  const parts: string[] = ['<xml>'];
  for (const [name, value] of Object.entries(fields)) {
    if (value === undefined || value === '') continue;
    if (!FIELD_NAME.test(name)) throw new V2XmlError('field name is not a plain name');
    // A value holding the CDATA terminator would end the section early and inject markup.
    if (value.includes(']]>')) throw new V2XmlError('a value contains ]]>');
    parts.push(`<${name}><![CDATA[${value}]]></${name}>`);
  }
  parts.push('</xml>');
  return parts.join('');
}
