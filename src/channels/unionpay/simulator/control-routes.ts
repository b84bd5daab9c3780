import type { FastifyInstance } from 'fastify';
import type { SimCore } from './core.ts';

/**
 * The simulator's own control endpoints under /sim: what in real life happens off the API (a
 * merchant registering its certificate, a payer paying), faults on demand, and a window on the
 * state. Plain JSON, unauthenticated; the simulator listens on loopback only.
 */
const PAY_FAILURE_STATUS = {
  ORDER_NOT_EXIST: 404,
  ORDER_NOT_PAYABLE: 409,
  NOTIFICATION_QUEUE_FULL: 503,
} as const;

function jsonBody(body: unknown): unknown {
  if (typeof body !== 'string' || body === '') return undefined;
  try {
    return JSON.parse(body) as unknown;
  } catch {
    return undefined;
  }
}

export function registerControlRoutes(app: FastifyInstance, core: SimCore): void {
  app.post('/sim/merchants', async (request, reply) => {
    try {
      const merchant = core.merchants.register(jsonBody(request.body));
      return reply.code(201).send({ mer_id: merchant.mer_id, cert_id: merchant.cert_id });
    } catch (error) {
      return reply.code(400).send({ code: 'INVALID_MERCHANT', message: (error as Error).message });
    }
  });

  app.post('/sim/orders/:order_id/pay', async (request, reply) => {
    const { order_id } = request.params as { order_id: string };
    const result = await core.pay(order_id);
    if (result.ok) return reply.code(200).send(result.order);
    return reply.code(PAY_FAILURE_STATUS[result.code]).send({ code: result.code, message: result.message });
  });

  app.get('/sim/orders/:order_id', async (request, reply) => {
    const { order_id } = request.params as { order_id: string };
    const txn = core.txns.get(order_id);
    if (!txn) return reply.code(404).send({ code: 'ORDER_NOT_EXIST', message: 'no such order' });
    await core.settle(txn);
    return reply.code(200).send(core.view(txn));
  });

  app.post('/sim/faults', async (request, reply) => {
    try {
      return reply.code(201).send(core.faults.add(jsonBody(request.body)));
    } catch (error) {
      return reply.code(400).send({ code: 'INVALID_FAULT', message: (error as Error).message });
    }
  });

  app.get('/sim/faults', async (_request, reply) => reply.code(200).send(core.faults.list()));

  app.delete('/sim/faults', async (_request, reply) => {
    core.faults.clear();
    return reply.code(204).send();
  });

  app.post('/sim/notifications/release', async (request, reply) => {
    const body = jsonBody(request.body) as { order_id?: unknown } | undefined;
    const order_id = typeof body?.order_id === 'string' ? body.order_id : undefined;
    return reply.code(200).send({ released: core.notifier.release(order_id) });
  });
}
