import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeHttpAgents, HttpClientError, httpRequest, RESPONSE_BODY_LIMIT_BYTES } from './http-client.ts';

/** A loopback server whose behaviour each test picks by path. */
let server: http.Server;
let base: string;
let connections = 0;
const seen: Array<{ method: string; url: string; headers: http.IncomingHttpHeaders; body: string }> = [];

beforeAll(async () => {
  server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      seen.push({
        method: req.method!,
        url: req.url!,
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
      });
      const path = req.url!.split('?')[0];
      if (path === '/echo') {
        res.writeHead(201, {
          'X-Mixed-Case': 'Yes',
          'set-cookie': ['a=1', 'b=2'],
          'content-type': 'application/json',
        });
        res.end(JSON.stringify({ method: req.method, url: req.url }));
      } else if (path === '/split-utf8') {
        // "支付" is 6 bytes; send them split inside the first character.
        const bytes = Buffer.from('{"m":"支付"}', 'utf8');
        res.writeHead(200);
        res.write(bytes.subarray(0, 7));
        setTimeout(() => res.end(bytes.subarray(7)), 10);
      } else if (path === '/hang') {
        // never answers
      } else if (path === '/drip') {
        res.writeHead(200);
        const timer = setInterval(() => res.write('x'), 20);
        res.on('close', () => clearInterval(timer));
      } else if (path === '/big-declared') {
        res.writeHead(200, { 'content-length': String(RESPONSE_BODY_LIMIT_BYTES + 1) });
        res.end();
      } else if (path === '/big-chunked') {
        res.writeHead(200);
        const chunk = Buffer.alloc(64 * 1024, 0x61);
        for (let i = 0; i < 17; i++) res.write(chunk);
        res.end();
      } else if (path === '/exactly-limit') {
        res.writeHead(200);
        res.end(Buffer.alloc(RESPONSE_BODY_LIMIT_BYTES, 0x62));
      } else if (path === '/reset') {
        req.socket.destroy();
      } else {
        res.writeHead(404);
        res.end();
      }
    });
  });
  server.on('connection', () => connections++);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  closeHttpAgents();
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

async function failure(promise: Promise<unknown>): Promise<HttpClientError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(HttpClientError);
    return error as HttpClientError;
  }
  throw new Error('expected the request to fail');
}

describe('httpRequest', () => {
  it('sends method, path+query and body; returns status, lower-case headers and the body', async () => {
    const response = await httpRequest({
      method: 'POST',
      url: `${base}/echo?mchid=1&x=a%2Fb`,
      headers: { 'content-type': 'application/json' },
      body: '{"a":"中文"}',
      timeout_ms: 2000,
    });
    expect(response.status).toBe(201);
    expect(response.headers['x-mixed-case']).toBe('Yes');
    expect(response.headers['set-cookie']).toBe('a=1, b=2');
    expect(JSON.parse(response.body)).toEqual({ method: 'POST', url: '/echo?mchid=1&x=a%2Fb' });
    const last = seen.at(-1)!;
    expect(last.body).toBe('{"a":"中文"}');
    expect(last.headers['content-length']).toBe(String(Buffer.byteLength('{"a":"中文"}')));
  });

  it('decodes a multi-byte character split across chunks', async () => {
    const response = await httpRequest({ method: 'GET', url: `${base}/split-utf8`, timeout_ms: 2000 });
    expect(response.body).toBe('{"m":"支付"}');
  });

  it('reuses one keep-alive connection for sequential requests', async () => {
    const before = connections;
    for (let i = 0; i < 5; i++) await httpRequest({ method: 'GET', url: `${base}/echo`, timeout_ms: 2000 });
    expect(connections - before).toBeLessThanOrEqual(1);
  });

  it('adds each exchange to the timing it is given, answered or timed out', async () => {
    const timing = { elapsed_ms: 0, exchanges: 0 };
    const started = performance.now();
    await httpRequest({ method: 'GET', url: `${base}/split-utf8`, timeout_ms: 2_000, timing });
    expect(timing.exchanges).toBe(1);
    // The answer's second half comes 10 ms after the first: the end of the body is counted.
    expect(timing.elapsed_ms).toBeGreaterThanOrEqual(9);
    await expect(
      httpRequest({ method: 'GET', url: `${base}/hang`, timeout_ms: 60, timing }),
    ).rejects.toThrow();
    expect(timing.exchanges).toBe(2);
    expect(timing.elapsed_ms).toBeGreaterThanOrEqual(9 + 59);
    expect(timing.elapsed_ms).toBeLessThanOrEqual(performance.now() - started);
  });

  it('times out a peer that never answers', async () => {
    const started = Date.now();
    const error = await failure(httpRequest({ method: 'GET', url: `${base}/hang`, timeout_ms: 150 }));
    expect(error.kind).toBe('timeout');
    expect(Date.now() - started).toBeLessThan(1500);
  });

  it('times out a slow drip by the total deadline, though the socket is never idle', async () => {
    const started = Date.now();
    const error = await failure(httpRequest({ method: 'GET', url: `${base}/drip`, timeout_ms: 200 }));
    expect(error.kind).toBe('timeout');
    expect(Date.now() - started).toBeLessThan(1500);
  });

  it('tells a refused connection apart', async () => {
    const closed = http.createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const error = await failure(
      httpRequest({ method: 'GET', url: `http://127.0.0.1:${port}/`, timeout_ms: 2000 }),
    );
    expect(error.kind).toBe('connection_refused');
    expect(error.code).toBe('ECONNREFUSED');
  });

  it('refuses bodies over the limit, declared or streamed, and takes one exactly at it', async () => {
    expect(
      (await failure(httpRequest({ method: 'GET', url: `${base}/big-declared`, timeout_ms: 2000 }))).kind,
    ).toBe('too_large');
    expect(
      (await failure(httpRequest({ method: 'GET', url: `${base}/big-chunked`, timeout_ms: 2000 }))).kind,
    ).toBe('too_large');
    const small = await failure(
      httpRequest({ method: 'GET', url: `${base}/echo`, timeout_ms: 2000, body_limit_bytes: 4 }),
    );
    expect(small.kind).toBe('too_large');
    const exact = await httpRequest({ method: 'GET', url: `${base}/exactly-limit`, timeout_ms: 2000 });
    expect(exact.body.length).toBe(RESPONSE_BODY_LIMIT_BYTES);
  });

  it('reports a reset connection as a network error', async () => {
    expect((await failure(httpRequest({ method: 'GET', url: `${base}/reset`, timeout_ms: 2000 }))).kind).toBe(
      'network',
    );
  });

  it('refuses requests it cannot send', async () => {
    expect((await failure(httpRequest({ method: 'GET', url: '/relative', timeout_ms: 100 }))).kind).toBe(
      'invalid_request',
    );
    expect((await failure(httpRequest({ method: 'GET', url: 'ftp://x/', timeout_ms: 100 }))).kind).toBe(
      'invalid_request',
    );
    expect((await failure(httpRequest({ method: 'GET', url: `${base}/echo`, timeout_ms: 0 }))).kind).toBe(
      'invalid_request',
    );
    const bad_header = httpRequest({
      method: 'GET',
      url: `${base}/echo`,
      headers: { 'x-bad': 'a\nb' },
      timeout_ms: 100,
    });
    expect((await failure(bad_header)).kind).toBe('invalid_request');
  });

  it('keeps the query string out of error messages', async () => {
    const error = await failure(
      httpRequest({ method: 'GET', url: `${base}/hang?token=secret`, timeout_ms: 50 }),
    );
    expect(error.message).not.toContain('secret');
  });
});
