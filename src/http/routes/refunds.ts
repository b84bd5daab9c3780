import type { FastifyInstance } from 'fastify';
import { AppError } from '../../domain/errors.ts';
import { createRefund, REFUNDS_PER_PAYMENT_MAX } from '../../services/create-refund.ts';
import type { Gateway } from '../../services/gateway.ts';
import { refundView } from '../../services/refund-view.ts';
import { findRefundById, listRefundsOfPayment } from '../../storage/repositories/refunds.ts';
import { sendIdempotent } from '../idempotency.ts';
import { merchantOf } from '../merchant-auth.ts';
import {
  CreateRefundBody,
  errorResponses,
  PaymentIdParams,
  Refund,
  RefundIdParams,
  RefundList,
  SignedHeaders,
} from '../schemas.ts';
import { ownPayment } from './payments.ts';

/** Refunds: create against a payment, get one, list a payment's. */
export function refundRoutes(app: FastifyInstance, gw: Gateway): void {
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
    async (request, reply) =>
      sendIdempotent(gw, request, reply, async () => {
        const merchant = merchantOf(request);
        const payment = await ownPayment(gw, merchant, (request.params as { id: string }).id);
        const body = request.body as CreateRefundBody;
        const { created, refund } = await createRefund(gw, merchant.credential, payment, body);
        return { status: created ? 201 : 200, body: refundView(refund) };
      }),
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
      const payment = await ownPayment(gw, merchantOf(request), (request.params as { id: string }).id);
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
