import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AppError } from '../../domain/errors.ts';
import { createRefund, REFUNDS_PER_PAYMENT_MAX } from '../../services/create-refund.ts';
import type { Gateway } from '../../services/gateway.ts';
import { refundView } from '../../services/refund-view.ts';
import { findPaymentById } from '../../storage/repositories/payments.ts';
import { findRefundById, listRefundsOfPayment } from '../../storage/repositories/refunds.ts';
import { withIdempotency } from '../idempotency.ts';
import type { AuthenticatedMerchant } from '../merchant-auth.ts';
import {
  CreateRefundBody,
  errorResponses,
  PaymentIdParams,
  Refund,
  RefundIdParams,
  RefundList,
  SignedHeaders,
} from '../schemas.ts';

/** Refunds: create against a payment, get one, list a payment's. */
export function refundRoutes(app: FastifyInstance, gw: Gateway): void {
  const merchantOf = (request: FastifyRequest): AuthenticatedMerchant => {
    if (!request.merchant) throw new Error('route reached without authentication');
    return request.merchant;
  };
  const ownPayment = async (merchant: AuthenticatedMerchant, id: string) => {
    const payment = await findPaymentById(gw.store.db, id);
    if (!payment || payment.app_id !== merchant.credential.app_id) throw new AppError('PAYMENT_NOT_FOUND');
    return payment;
  };
  const send = (reply: FastifyReply, stored: { status: number; body: unknown; replayed: boolean }) => {
    if (stored.replayed) void reply.header('idempotent-replayed', 'true');
    return reply.status(stored.status).send(stored.body);
  };

  app.post(
    '/v1/payments/:id/refunds',
    {
      schema: {
        summary: 'Refund a payment, in part or in full',
        description:
          'The sum of a payment’s refunds never exceeds its amount, also under concurrent requests (REFUND_AMOUNT_EXCEEDS_PAYMENT). ' +
          'A refund the channel has not answered yet stays PROCESSING and is confirmed by query; its end comes as a refund.* event.',
        tags: ['refunds'],
        headers: SignedHeaders,
        params: PaymentIdParams,
        body: CreateRefundBody,
        response: { 200: Refund, 201: Refund, ...errorResponses },
      },
    },
    async (request, reply) => {
      const merchant = merchantOf(request);
      const { id } = request.params as { id: string };
      const body = request.body as CreateRefundBody;
      const key =
        typeof request.headers['idempotency-key'] === 'string'
          ? request.headers['idempotency-key']
          : undefined;
      const stored = await withIdempotency(
        gw,
        merchant.credential.app_id,
        key,
        `POST /v1/payments/${id}/refunds\n${request.rawBody}`,
        async () => {
          const { created, refund } = await createRefund(
            gw,
            merchant.credential,
            await ownPayment(merchant, id),
            body,
          );
          return { status: created ? 201 : 200, body: refundView(refund) };
        },
      );
      return send(reply, stored);
    },
  );

  app.get(
    '/v1/payments/:id/refunds',
    {
      schema: {
        summary: "List a payment's refunds",
        tags: ['refunds'],
        headers: SignedHeaders,
        params: PaymentIdParams,
        response: { 200: RefundList, ...errorResponses },
      },
    },
    async (request) => {
      const payment = await ownPayment(merchantOf(request), (request.params as { id: string }).id);
      const refunds = await listRefundsOfPayment(gw.store.db, payment.id, REFUNDS_PER_PAYMENT_MAX);
      return { object: 'list', data: refunds.map(refundView) };
    },
  );

  app.get(
    '/v1/refunds/:id',
    {
      schema: {
        summary: 'Get a refund',
        tags: ['refunds'],
        headers: SignedHeaders,
        params: RefundIdParams,
        response: { 200: Refund, ...errorResponses },
      },
    },
    async (request) => {
      const merchant = merchantOf(request);
      const refund = await findRefundById(gw.store.db, (request.params as { id: string }).id);
      if (!refund || refund.app_id !== merchant.credential.app_id) throw new AppError('REFUND_NOT_FOUND');
      return refundView(refund);
    },
  );
}
