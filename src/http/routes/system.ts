import type { FastifyInstance } from 'fastify';
import { sql } from 'kysely';
import QRCode from 'qrcode';
import { AppError, errorBody } from '../../domain/errors.ts';
import type { Gateway } from '../../services/gateway.ts';
import { findPaymentById } from '../../storage/repositories/payments.ts';

/** Health, metrics and the QR image of a payment: unauthenticated, and holding no secrets. */
export function systemRoutes(app: FastifyInstance, gw: Gateway): void {
  app.get('/health', { schema: { hide: true } }, async (_request, reply) => {
    try {
      await sql`select 1`.execute(gw.store.db);
      return { status: 'ok', database: gw.store.kind };
    } catch {
      return reply.status(503).send({ status: 'unavailable', database: gw.store.kind });
    }
  });

  app.get('/metrics', { schema: { hide: true } }, async (_request, reply) => {
    void reply.type(gw.metrics.registry.contentType);
    return gw.metrics.registry.metrics();
  });

  // Payment ids carry 80 random bits, so this link is as private as the QR code it draws.
  app.get('/qr/:file', { schema: { hide: true } }, async (request, reply) => {
    const { file } = request.params as { file: string };
    const m = /^(pay_[0-9A-HJKMNP-TV-Z]{26})\.(png|svg)$/.exec(file);
    const payment = m ? await findPaymentById(gw.store.db, m[1]!) : undefined;
    if (!m || !payment?.code_url) return reply.status(404).send(errorBody(new AppError('NOT_FOUND')));
    if (m[2] === 'svg')
      return reply
        .type('image/svg+xml')
        .send(await QRCode.toString(payment.code_url, { type: 'svg', margin: 2 }));
    return reply
      .type('image/png')
      .send(await QRCode.toBuffer(payment.code_url, { type: 'png', margin: 2, width: 320 }));
  });
}
