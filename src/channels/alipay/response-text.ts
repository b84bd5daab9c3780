/**
 * Cutting the signed text out of a raw gateway response (protocols.md §3.3, vectors A1 and A4).
 *
 * Alipay signs the bytes of the `<method>_response` value exactly as sent — escapes such as `\/`,
 * key order and spacing included — so the text must be cut from the raw body, never rebuilt from
 * parsed JSON. Rather than the SDKs' substring search (first key name, last `"sign"`), this scans
 * the top-level object once and records each member's value span: a nested `"sign"` inside the
 * business object, whitespace and newlines, or a key name appearing inside a string value cannot
 * move the cut.
 */

export interface ResponseSpans {
  /** Top-level key (JSON-decoded) → the raw text of its value. */
  members: ReadonlyMap<string, string>;
}

/** Nesting allowed inside a value; Alipay's responses are a few levels deep. */
const DEPTH_MAX = 64;
/** Top-level members: a response has two or three (`*_response`, `sign`, `alipay_cert_sn`). */
const MEMBERS_MAX = 64;

class Scanner {
  i = 0;
  constructor(readonly text: string) {}

  ws(): void {
    while (this.i < this.text.length) {
      const c = this.text.charCodeAt(this.i);
      if (c !== 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0d) return;
      this.i++;
    }
  }

  expect(ch: string): void {
    if (this.text[this.i] !== ch) throw new SyntaxError(`expected ${ch} at ${this.i}`);
    this.i++;
  }

  /** Skips a string starting at the current `"`; returns its raw text, quotes included. */
  string(): string {
    const start = this.i;
    this.expect('"');
    while (this.i < this.text.length) {
      const c = this.text[this.i]!;
      if (c === '\\') {
        this.i += 2;
        continue;
      }
      this.i++;
      if (c === '"') return this.text.slice(start, this.i);
      if (c.charCodeAt(0) < 0x20) throw new SyntaxError('control character in string');
    }
    throw new SyntaxError('unterminated string');
  }

  /** Skips any JSON value; the raw text is text.slice(start, this.i). */
  value(depth: number): void {
    if (depth > DEPTH_MAX) throw new SyntaxError('nested too deeply');
    const c = this.text[this.i];
    if (c === '"') {
      this.string();
      return;
    }
    if (c === '{' || c === '[') {
      const close = c === '{' ? '}' : ']';
      this.i++;
      this.ws();
      if (this.text[this.i] === close) {
        this.i++;
        return;
      }
      // Each round consumes at least one character, so the text length bounds the loop.
      for (;;) {
        if (c === '{') {
          this.string();
          this.ws();
          this.expect(':');
          this.ws();
        }
        this.value(depth + 1);
        this.ws();
        if (this.text[this.i] === ',') {
          this.i++;
          this.ws();
          continue;
        }
        this.expect(close);
        return;
      }
    }
    const literal = /^(?:true|false|null|-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?)/.exec(
      this.text.slice(this.i, this.i + 64),
    );
    if (!literal) throw new SyntaxError(`unexpected character at ${this.i}`);
    this.i += literal[0].length;
  }
}

/** The raw value text of every top-level member; null when the body is not one JSON object. */
export function topLevelSpans(body: string): ResponseSpans | null {
  const s = new Scanner(body);
  const members = new Map<string, string>();
  try {
    s.ws();
    s.expect('{');
    s.ws();
    if (body[s.i] === '}') {
      s.i++;
    } else {
      for (;;) {
        const key = JSON.parse(s.string()) as string;
        s.ws();
        s.expect(':');
        s.ws();
        const start = s.i;
        s.value(1);
        // A repeated member would let one copy be verified and another be read.
        if (members.has(key) || members.size >= MEMBERS_MAX) return null;
        members.set(key, body.slice(start, s.i));
        s.ws();
        if (body[s.i] === ',') {
          s.i++;
          s.ws();
          continue;
        }
        s.expect('}');
        break;
      }
    }
    s.ws();
    if (s.i !== body.length) return null;
  } catch {
    return null;
  }
  return { members };
}

/** `alipay.trade.pay` → `alipay_trade_pay_response`. */
export function responseKeyOf(method: string): string {
  return `${method.replaceAll('.', '_')}_response`;
}

export interface SignedResponse {
  /** Which key held the business object: the method's or `error_response`. */
  key: string;
  /** The exact bytes that were signed. */
  signed_text: string;
  /** The `sign` member, decoded; undefined when absent. */
  sign?: string;
  /** The `alipay_cert_sn` member (certificate mode), decoded. */
  alipay_cert_sn?: string;
}

function decodedString(raw: string | undefined): string | undefined | null {
  if (raw === undefined) return undefined;
  try {
    const value: unknown = JSON.parse(raw);
    return typeof value === 'string' ? value : null;
  } catch {
    return null;
  }
}

/**
 * The business object's raw text and its signature, for `method`'s response. Falls back to
 * `error_response` (gateway-level errors). Null when the body has neither or is malformed.
 */
export function extractSignedResponse(body: string, method: string): SignedResponse | null {
  const spans = topLevelSpans(body);
  if (!spans) return null;
  const response_key = responseKeyOf(method);
  const key = spans.members.has(response_key) ? response_key : 'error_response';
  const signed_text = spans.members.get(key);
  if (signed_text === undefined || !signed_text.startsWith('{')) return null;
  const sign = decodedString(spans.members.get('sign'));
  const alipay_cert_sn = decodedString(spans.members.get('alipay_cert_sn'));
  if (sign === null || alipay_cert_sn === null) return null;
  return {
    key,
    signed_text,
    ...(sign !== undefined ? { sign } : {}),
    ...(alipay_cert_sn !== undefined ? { alipay_cert_sn } : {}),
  };
}
