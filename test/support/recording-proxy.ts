import Fastify from 'fastify';

/**
 * Stands between a channel simulator and the gateway: forwards every notification unchanged and
 * keeps a copy, so a test can replay, reorder or tamper with real channel traffic.
 */
export interface CapturedRequest {
  path: string;
  headers: Record<string, string>;
  body: string;
}

export interface RecordingProxy {
  url: string;
  captured: CapturedRequest[];
  /** When false, requests are recorded and answered 500 without reaching the gateway (a lost notification). */
  forward: boolean;
  close(): Promise<void>;
}

const FORWARDED_HEADERS = [
  'content-type',
  'user-agent',
  'wechatpay-timestamp',
  'wechatpay-nonce',
  'wechatpay-signature',
  'wechatpay-serial',
  'wechatpay-signature-type',
  'request-id',
];

export async function startRecordingProxy(target_url: () => string): Promise<RecordingProxy> {
  const app = Fastify({ logger: false, forceCloseConnections: true });
  const state: RecordingProxy = {
    url: '',
    captured: [],
    forward: true,
    close: async () => void (await app.close()),
  };
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'string' }, (_r, body, done) => done(null, body));
  app.post('/*', async (request, reply) => {
    const headers: Record<string, string> = {};
    for (const name of FORWARDED_HEADERS) {
      const v = request.headers[name];
      if (typeof v === 'string') headers[name] = v;
    }
    const captured = { path: request.url, headers, body: String(request.body) };
    state.captured.push(captured);
    if (!state.forward) return reply.status(500).send({ code: 'FAIL', message: 'dropped by test' });
    const response = await replay(target_url(), captured);
    return reply.status(response.status).send(response.body);
  });
  state.url = await app.listen({ host: '127.0.0.1', port: 0 });
  return state;
}

/** Sends a captured request (or a tampered copy) to the gateway, as the channel would. */
export async function replay(
  base_url: string,
  request: CapturedRequest,
): Promise<{ status: number; body: string }> {
  const response = await fetch(`${base_url}${request.path}`, {
    method: 'POST',
    headers: request.headers,
    body: request.body,
  });
  return { status: response.status, body: await response.text() };
}
