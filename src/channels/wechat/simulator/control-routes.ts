import type { FastifyInstance } from 'fastify';
import { parseJson } from '../wire.ts';
import type { SimCore } from './core.ts';

/**
 * The simulator's own control endpoints under /sim: what in real life happens off the API (a
 * merchant signing up, a payer paying) and a window on the state. Plain JSON, unsigned; the
 * simulator listens on loopback only.
 */
const PAY_FAILURE_STATUS = {
  ORDER_NOT_EXIST: 404,
  ORDER_CLOSED: 409,
  ORDER_EXPIRED: 409,
  NOTIFICATION_QUEUE_FULL: 503,
} as const;

export function registerControlRoutes(app: FastifyInstance, core: SimCore): void {
  app.post('/sim/merchants', async (request, reply) => {
    const body = parseJson(typeof request.body === 'string' ? request.body : '');
    try {
      const merchant = core.merchants.register(body);
      return reply.code(201).send({ mchid: merchant.mchid, appid: merchant.appid });
    } catch (error) {
      return reply.code(400).send({ code: 'INVALID_MERCHANT', message: (error as Error).message });
    }
  });

  app.post('/sim/orders/:out_trade_no/pay', async (request, reply) => {
    const { out_trade_no } = request.params as { out_trade_no: string };
    const result = core.pay(out_trade_no);
    if (result.ok) return reply.code(200).send(result.order);
    return reply.code(PAY_FAILURE_STATUS[result.code]).send({ code: result.code, message: result.message });
  });

  app.get('/sim/orders/:out_trade_no', async (request, reply) => {
    const { out_trade_no } = request.params as { out_trade_no: string };
    const order = core.orders.get(out_trade_no);
    if (!order)
      return reply.code(404).send({ code: 'ORDER_NOT_EXIST', message: 'no order with this out_trade_no' });
    return reply.code(200).send(core.view(order));
  });
}
