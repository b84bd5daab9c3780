import Fastify, { type FastifyInstance } from 'fastify';

/** A merchant's notification endpoint, as a test double that records exactly what arrived. */
export interface ReceivedNotification {
  headers: Record<string, string | string[] | undefined>;
  body: string;
  received_at_ms: number;
}

export interface MerchantReceiver {
  url: string;
  received: ReceivedNotification[];
  /** What to answer next: a status, or 'hang' to never answer. */
  answer: number | 'hang';
  /** Answer this long after the request arrived. */
  answer_delay_ms: number;
  close(): Promise<void>;
}

export async function startMerchantReceiver(): Promise<MerchantReceiver> {
  const app: FastifyInstance = Fastify({ logger: false, forceCloseConnections: true });
  const state: MerchantReceiver = {
    url: '',
    received: [],
    answer: 200,
    answer_delay_ms: 0,
    close: async () => void (await app.close()),
  };
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'string' }, (_r, body, done) => done(null, body));
  app.post('/notify', async (request, reply) => {
    state.received.push({ headers: request.headers, body: String(request.body), received_at_ms: Date.now() });
    if (state.answer === 'hang') return new Promise(() => {});
    if (state.answer_delay_ms > 0) await new Promise((resolve) => setTimeout(resolve, state.answer_delay_ms));
    return reply.status(state.answer).send('ok');
  });
  const address = await app.listen({ host: '127.0.0.1', port: 0 });
  state.url = `${address}/notify`;
  return state;
}
