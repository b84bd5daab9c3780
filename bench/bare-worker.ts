import Fastify from 'fastify';
import { serveWorker } from './processes.ts';

/**
 * The reference: a bare Fastify JSON POST handler on this machine, same process layout as the
 * gateway. Every gateway figure is reported as a ratio to this one, measured in the same run.
 */
const app = Fastify({ logger: false });
app.post('/echo', async (request) => ({ ok: true, received: (request.body as { n?: number })?.n ?? null }));

serveWorker(async (message) => {
  if (message.cmd === 'listen') return app.listen({ host: '127.0.0.1', port: 0 });
  if (message.cmd === 'cpu') return process.cpuUsage();
  throw new Error(`unknown command ${String(message.cmd)}`);
});
