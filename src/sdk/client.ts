import { randomBytes } from 'node:crypto';
import {
  HEADER_APP_ID,
  HEADER_NONCE,
  HEADER_SIGNATURE,
  HEADER_TIMESTAMP,
  hmacHex,
  requestSigningString,
  responseSigningString,
  signaturesEqual,
} from '../protocol/merchant-signature.ts';

/**
 * The merchant side of the API, as a merchant's server would use it: signs each request, checks
 * the signature of each response. Used by the CLI, the tests and the benchmark, so they exercise
 * the same scheme a merchant implements from docs/api/signing.md.
 */
export interface PaymuxClientOptions {
  base_url: string;
  app_id: string;
  secret: string;
  /** Seconds since the epoch; injectable for tests. */
  now_s?: () => number;
  nonce?: () => string;
}

export interface PaymuxResponse<T = unknown> {
  status: number;
  body: T;
  headers: Headers;
  /** True when the response carried a valid Paymux signature for this app. */
  signature_valid: boolean;
}

export class PaymuxClient {
  constructor(private readonly options: PaymuxClientOptions) {}

  /** Headers that sign one request; exported for tests that send through other transports. */
  signHeaders(method: string, path_with_query: string, body: string): Record<string, string> {
    const timestamp = String(this.options.now_s ? this.options.now_s() : Math.floor(Date.now() / 1000));
    const nonce = this.options.nonce ? this.options.nonce() : randomBytes(16).toString('hex');
    return {
      [HEADER_APP_ID]: this.options.app_id,
      [HEADER_TIMESTAMP]: timestamp,
      [HEADER_NONCE]: nonce,
      [HEADER_SIGNATURE]: hmacHex(
        this.options.secret,
        requestSigningString(method, path_with_query, timestamp, nonce, body),
      ),
    };
  }

  verifyResponse(headers: Headers, body: string): boolean {
    const timestamp = headers.get(HEADER_TIMESTAMP);
    const nonce = headers.get(HEADER_NONCE);
    const signature = headers.get(HEADER_SIGNATURE);
    if (!timestamp || !nonce || !signature) return false;
    return signaturesEqual(
      hmacHex(this.options.secret, responseSigningString(timestamp, nonce, body)),
      signature,
    );
  }

  async request<T = unknown>(
    method: string,
    path_with_query: string,
    body?: unknown,
    extra_headers: Record<string, string> = {},
  ): Promise<PaymuxResponse<T>> {
    const text = body === undefined ? '' : JSON.stringify(body);
    const headers: Record<string, string> = {
      ...this.signHeaders(method, path_with_query, text),
      ...extra_headers,
    };
    if (body !== undefined) headers['content-type'] = 'application/json';
    const response = await fetch(`${this.options.base_url}${path_with_query}`, {
      method,
      headers,
      ...(body !== undefined ? { body: text } : {}),
    });
    const raw = await response.text();
    return {
      status: response.status,
      body: (raw.length > 0 ? JSON.parse(raw) : null) as T,
      headers: response.headers,
      signature_valid: this.verifyResponse(response.headers, raw),
    };
  }
}
