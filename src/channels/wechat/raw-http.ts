import http from 'node:http';
import https from 'node:https';
import { HttpClientError } from '../http-client.ts';

/**
 * What the shared http-client does not offer and two WeChat exchanges need: the reply as bytes
 * (the trade bill may be gzip) and a TLS client certificate (APIv2 /secapi calls). One connection
 * per call, a hard deadline for the whole exchange and a cap on the body, as in http-client.
 */
export interface RawHttpRequest {
  method: 'GET' | 'POST';
  url: string;
  headers: Readonly<Record<string, string>>;
  body?: string;
  timeout_ms: number;
  body_limit_bytes: number;
  /** PEM certificate and key presented to an https server that asks for one. */
  client_tls?: { cert_pem: string; key_pem: string };
}

export interface RawHttpResponse {
  status: number;
  headers: Record<string, string>;
  body: Buffer;
}

export function rawHttpRequest(request: RawHttpRequest): Promise<RawHttpResponse> {
  const url = new URL(request.url);
  // Errors name origin and path only: bill URLs carry a token in the query.
  const target = `${url.protocol}//${url.host}${url.pathname}`;
  const body = request.body === undefined ? undefined : Buffer.from(request.body, 'utf8');
  const headers: Record<string, string> = { ...request.headers };
  if (body !== undefined) headers['content-length'] = String(body.length);
  return new Promise((resolve, reject) => {
    let settled = false;
    let req: http.ClientRequest | undefined;
    const fail = (error: HttpClientError) => {
      if (settled) return;
      settled = true;
      clearTimeout(deadline);
      req?.destroy();
      reject(error);
    };
    const deadline = setTimeout(
      () =>
        fail(
          new HttpClientError(
            'timeout',
            `no complete response from ${target} within ${request.timeout_ms} ms`,
          ),
        ),
      request.timeout_ms,
    );
    const options: https.RequestOptions = {
      hostname: url.hostname.replace(/^\[(.*)\]$/, '$1'),
      port: url.port === '' ? undefined : Number(url.port),
      path: url.pathname + url.search,
      method: request.method,
      headers,
      agent: false,
      ...(request.client_tls ? { cert: request.client_tls.cert_pem, key: request.client_tls.key_pem } : {}),
    };
    try {
      req = url.protocol === 'https:' ? https.request(options) : http.request(options);
    } catch {
      fail(new HttpClientError('invalid_request', `request to ${target} cannot be sent`));
      return;
    }
    req.on('error', (error: NodeJS.ErrnoException) => {
      const kind = error.code === 'ECONNREFUSED' ? 'connection_refused' : 'network';
      fail(
        new HttpClientError(kind, `transport error with ${target} (${error.code ?? 'unknown'})`, error.code),
      );
    });
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      let received_bytes = 0;
      res.on('data', (chunk: Buffer) => {
        if (settled) return;
        received_bytes += chunk.length;
        if (received_bytes > request.body_limit_bytes) {
          fail(
            new HttpClientError(
              'too_large',
              `response from ${target} exceeds ${request.body_limit_bytes} bytes`,
            ),
          );
          return;
        }
        chunks.push(chunk);
      });
      res.on('error', () => fail(new HttpClientError('network', `response from ${target} aborted`)));
      res.on('end', () => {
        if (settled) return;
        settled = true;
        clearTimeout(deadline);
        const flat: Record<string, string> = {};
        for (const [name, value] of Object.entries(res.headers)) {
          if (value !== undefined) flat[name] = Array.isArray(value) ? value.join(', ') : value;
        }
        resolve({ status: res.statusCode ?? 0, headers: flat, body: Buffer.concat(chunks) });
      });
    });
    req.end(body);
  });
}
