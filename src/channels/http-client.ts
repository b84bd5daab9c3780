import http from 'node:http';
import https from 'node:https';

/**
 * A small HTTP client for talking JSON to payment channels (and, in the simulators, to merchants'
 * notification endpoints). It does only what those calls need and no more:
 *
 * - one keep-alive Agent per origin, so a burst of payments reuses TLS connections instead of
 *   paying a handshake each time;
 * - a hard deadline per request (connect + send + whole response), because a channel call that
 *   hangs must turn into an "unknown" outcome in bounded time, not a stuck worker;
 * - a cap on the response body, so a broken or hostile peer cannot make us buffer without end;
 * - the body back as the exact bytes received (decoded as UTF-8), because channel signatures are
 *   computed over those bytes and any re-serialisation would break verification;
 * - typed errors, so a caller can tell "never connected" (nothing happened at the channel) from
 *   "timed out" (something may have happened) from "answer too large".
 */

export const RESPONSE_BODY_LIMIT_BYTES = 1024 * 1024;
/** Concurrent connections to one origin; channels rate-limit well below this. */
export const AGENT_SOCKETS_MAX = 64;
/**
 * Idle connections kept per origin: as many as may be busy. With fewer, every burst wider than the
 * idle pool closed the extra connections as it ended and opened them again at the next one (2 % of
 * the gateway's time in connect and close under load, and a TLS handshake each against a real
 * channel). Idle ones still go after AGENT_FREE_SOCKET_TIMEOUT_MS.
 */
const AGENT_FREE_SOCKETS_MAX = AGENT_SOCKETS_MAX;
/**
 * An idle connection is dropped after this long. Servers close idle keep-alive connections too
 * (Node's default is 5 s); closing ours first avoids reusing a socket the server is closing.
 */
const AGENT_FREE_SOCKET_TIMEOUT_MS = 4_000;
/** Origins with a cached Agent; past this, requests get a one-off connection instead. */
const AGENTS_MAX = 256;

export type HttpErrorKind =
  /** The deadline passed: the peer may have received and acted on the request. */
  | 'timeout'
  /** Nothing listens at the address: the request never reached the peer. */
  | 'connection_refused'
  /** The response body is larger than the limit. */
  | 'too_large'
  /** Any other transport failure (reset, DNS, TLS, aborted response). */
  | 'network'
  /** The request could not be built (bad URL, bad header); a programmer error. */
  | 'invalid_request';

export class HttpClientError extends Error {
  override name = 'HttpClientError';
  constructor(
    readonly kind: HttpErrorKind,
    message: string,
    /** The system error code when there is one (ECONNRESET, ENOTFOUND, …). */
    readonly code?: string,
  ) {
    super(message);
  }
}

export interface HttpRequest {
  method: string;
  /** Absolute http(s) URL; the path and query are sent exactly as `pathname + search`. */
  url: string;
  headers?: Readonly<Record<string, string>>;
  body?: string;
  timeout_ms: number;
  body_limit_bytes?: number;
  /** Each exchange adds its wall time here, answered or not (for Server-Timing). */
  timing?: ExchangeTiming;
}

/** Time spent in HTTP exchanges with a peer, from sending the request to the end of the answer. */
export interface ExchangeTiming {
  elapsed_ms: number;
  exchanges: number;
}

export interface HttpResponse {
  status: number;
  /** Header names in lower case; repeated headers joined with ", ". */
  headers: Record<string, string>;
  /** The body bytes exactly as received, decoded as UTF-8. */
  body: string;
}

const agents = new Map<string, http.Agent>();

function agentFor(url: URL): http.Agent | false {
  const origin = `${url.protocol}//${url.host}`;
  const existing = agents.get(origin);
  if (existing) return existing;
  // Past the cap a request still works, on its own connection, closed afterwards.
  if (agents.size >= AGENTS_MAX) return false;
  const options: http.AgentOptions = {
    keepAlive: true,
    maxSockets: AGENT_SOCKETS_MAX,
    maxFreeSockets: AGENT_FREE_SOCKETS_MAX,
    timeout: AGENT_FREE_SOCKET_TIMEOUT_MS,
    scheduling: 'lifo',
  };
  const agent = url.protocol === 'https:' ? new https.Agent(options) : new http.Agent(options);
  agents.set(origin, agent);
  return agent;
}

/** Closes every kept-alive connection; for shutdown and for tests. */
export function closeHttpAgents(): void {
  for (const agent of agents.values()) agent.destroy();
  agents.clear();
}

function classify(error: unknown, target: string): HttpClientError {
  if (error instanceof HttpClientError) return error;
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'ECONNREFUSED')
    return new HttpClientError('connection_refused', `connection refused by ${target}`, code);
  if (code === 'ETIMEDOUT') return new HttpClientError('timeout', `connection to ${target} timed out`, code);
  if (
    code === 'ERR_INVALID_HTTP_TOKEN' ||
    code === 'ERR_INVALID_CHAR' ||
    code === 'ERR_HTTP_INVALID_HEADER_VALUE'
  ) {
    return new HttpClientError('invalid_request', `request to ${target} cannot be sent (${code})`, code);
  }
  return new HttpClientError('network', `transport error with ${target} (${code ?? 'unknown'})`, code);
}

function flattenHeaders(raw: http.IncomingHttpHeaders): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(raw)) {
    if (value === undefined) continue;
    out[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : value;
  }
  return out;
}

export function httpRequest(request: HttpRequest): Promise<HttpResponse> {
  const limit_bytes = request.body_limit_bytes ?? RESPONSE_BODY_LIMIT_BYTES;
  let url: URL;
  try {
    url = new URL(request.url);
  } catch {
    return Promise.reject(new HttpClientError('invalid_request', 'the URL is not absolute'));
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    return Promise.reject(new HttpClientError('invalid_request', `unsupported protocol ${url.protocol}`));
  }
  if (!(Number.isFinite(request.timeout_ms) && request.timeout_ms > 0)) {
    return Promise.reject(new HttpClientError('invalid_request', 'timeout_ms must be a positive number'));
  }
  // The target named in error messages: origin and path only, never the query or headers.
  const target = `${url.protocol}//${url.host}${url.pathname}`;
  const body = request.body === undefined ? undefined : Buffer.from(request.body, 'utf8');
  const headers: Record<string, string> = { ...request.headers };
  if (body !== undefined) headers['content-length'] = String(body.length);

  const started_ms = performance.now();
  const timed = () => {
    if (!request.timing) return;
    request.timing.elapsed_ms += performance.now() - started_ms;
    request.timing.exchanges += 1;
  };
  return new Promise<HttpResponse>((resolve, reject) => {
    let settled = false;
    let req: http.ClientRequest | undefined;
    const fail = (error: HttpClientError) => {
      if (settled) return;
      settled = true;
      timed();
      clearTimeout(deadline);
      // Destroying also discards the socket: a half-read response must never be reused.
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

    try {
      req = (url.protocol === 'https:' ? https : http).request({
        protocol: url.protocol,
        // URL keeps IPv6 literals in brackets; the socket layer wants them bare.
        hostname: url.hostname.replace(/^\[(.*)\]$/, '$1'),
        port: url.port === '' ? undefined : Number(url.port),
        path: url.pathname + url.search,
        method: request.method,
        headers,
        agent: agentFor(url),
      });
    } catch (error) {
      fail(classify(error, target));
      return;
    }
    // Socket inactivity gets the same budget; the total deadline above still caps slow drips.
    req.setTimeout(request.timeout_ms, () =>
      fail(new HttpClientError('timeout', `socket to ${target} idle for ${request.timeout_ms} ms`)),
    );
    req.on('error', (error) => fail(classify(error, target)));
    req.on('response', (res) => {
      const declared = Number(res.headers['content-length']);
      if (Number.isFinite(declared) && declared > limit_bytes) {
        fail(
          new HttpClientError(
            'too_large',
            `response from ${target} declares ${declared} bytes, limit ${limit_bytes}`,
          ),
        );
        return;
      }
      const chunks: Buffer[] = [];
      let received_bytes = 0;
      res.on('data', (chunk: Buffer) => {
        if (settled) return;
        received_bytes += chunk.length;
        if (received_bytes > limit_bytes) {
          fail(new HttpClientError('too_large', `response from ${target} exceeds ${limit_bytes} bytes`));
          return;
        }
        chunks.push(chunk);
      });
      res.on('error', (error) => fail(classify(error, target)));
      res.on('end', () => {
        if (settled) return;
        settled = true;
        timed();
        clearTimeout(deadline);
        resolve({
          status: res.statusCode ?? 0,
          headers: flattenHeaders(res.headers),
          // Decode once after concatenation so a multi-byte character split across chunks survives.
          body: Buffer.concat(chunks).toString('utf8'),
        });
      });
    });
    req.end(body);
  });
}
