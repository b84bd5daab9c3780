import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AppError } from '../../domain/errors.ts';
import { cancelPayment } from '../../services/cancel-payment.ts';
import { closePayment } from '../../services/close-payment.ts';
import { createPayment } from '../../services/create-payment.ts';
import type { Gateway } from '../../services/gateway.ts';
import { paymentView } from '../../services/payment-view.ts';
import {
  findPaymentById,
  findPaymentByOrderNo,
  listPaymentsPage,
  type PaymentRecord,
} from '../../storage/repositories/payments.ts';
import { withIdempotency } from '../idempotency.ts';
import type { AuthenticatedMerchant } from '../merchant-auth.ts';
import {
  CreatePaymentBody,
  errorResponses,
  ListPaymentsQuery,
  OrderNoParams,
  Payment,
  PaymentIdParams,
  PaymentList,
  SignedHeaders,
} from '../schemas.ts';

/** The merchant payment API: thin handlers over the services; every route is signed (see app.ts). */
export function paymentRoutes(app: FastifyInstance, gw: Gateway): void {
  const view = (p: PaymentRecord) => paymentView(p, gw.settings.public_url);
  const merchantOf = (request: FastifyRequest): AuthenticatedMerchant => {
    if (!request.merchant) throw new Error('route reached without authentication');
    return request.merchant;
  };
  const send = (reply: FastifyReply, stored: { status: number; body: unknown; replayed: boolean }) => {
    if (stored.replayed) void reply.header('idempotent-replayed', 'true');
    return reply.status(stored.status).send(stored.body);
  };
  const idempotencyKey = (request: FastifyRequest) => {
    const key = request.headers['idempotency-key'];
    return typeof key === 'string' ? key : undefined;
  };

  app.post(
    '/v1/payments',
    {
      schema: {
        summary: 'Create a payment',
        description:
          'Creates a payment and asks the channel for what the payer needs (for WX_NATIVE a code_url to show as a QR code). ' +
          'A retry with the same merchant_order_no and the same parameters returns the same payment (200); other parameters → 409 MERCHANT_ORDER_NO_REUSED.',
        tags: ['payments'],
        headers: SignedHeaders,
        body: CreatePaymentBody,
        response: { 200: Payment, 201: Payment, ...errorResponses },
      },
    },
    async (request, reply) => {
      const merchant = merchantOf(request);
      const body = request.body as CreatePaymentBody;
      const stored = await withIdempotency(
        gw,
        merchant.credential.app_id,
        idempotencyKey(request),
        `POST /v1/payments\n${request.rawBody}`,
        async () => {
          const { created, payment } = await createPayment(gw, merchant.credential, body);
          return { status: created ? 201 : 200, body: view(payment) };
        },
      );
      return send(reply, stored);
    },
  );

  app.get(
    '/v1/payments',
    {
      schema: {
        summary: 'List payments, newest first',
        description:
          'Cursor pagination: pass the last id of a page as starting_after to get the next; has_more says whether one follows.',
        tags: ['payments'],
        headers: SignedHeaders,
        querystring: ListPaymentsQuery,
        response: { 200: PaymentList, ...errorResponses },
      },
    },
    async (request) => {
      const merchant = merchantOf(request);
      const query = request.query as { limit?: string; starting_after?: string; state?: string };
      const page = await listPaymentsPage(gw.store.db, merchant.credential.app_id, {
        limit: query.limit === undefined ? 20 : Number(query.limit),
        ...(query.starting_after !== undefined ? { starting_after: query.starting_after } : {}),
        ...(query.state !== undefined ? { state: query.state } : {}),
      });
      return { object: 'list', data: page.payments.map(view), has_more: page.has_more };
    },
  );

  app.get(
    '/v1/payments/:id',
    {
      schema: {
        summary: 'Get a payment by id',
        tags: ['payments'],
        headers: SignedHeaders,
        params: PaymentIdParams,
        response: { 200: Payment, ...errorResponses },
      },
    },
    async (request) => view(await ownPayment(gw, merchantOf(request), (request.params as { id: string }).id)),
  );

  app.get(
    '/v1/payments/by-order-no/:merchant_order_no',
    {
      schema: {
        summary: 'Get a payment by your merchant order number',
        tags: ['payments'],
        headers: SignedHeaders,
        params: OrderNoParams,
        response: { 200: Payment, ...errorResponses },
      },
    },
    async (request) => {
      const merchant = merchantOf(request);
      const { merchant_order_no } = request.params as { merchant_order_no: string };
      const payment = await findPaymentByOrderNo(gw.store.db, merchant.credential.app_id, merchant_order_no);
      if (!payment) throw new AppError('PAYMENT_NOT_FOUND');
      return view(payment);
    },
  );

  app.post(
    '/v1/payments/:id/close',
    {
      schema: {
        summary: 'Close an unpaid payment',
        description:
          'Closes the order at the channel first; a payment the payer already paid stays SUCCESS (409 PAYMENT_STATE_CONFLICT).',
        tags: ['payments'],
        headers: SignedHeaders,
        params: PaymentIdParams,
        response: { 200: Payment, ...errorResponses },
      },
    },
    async (request, reply) => {
      const merchant = merchantOf(request);
      const { id } = request.params as { id: string };
      const stored = await withIdempotency(
        gw,
        merchant.credential.app_id,
        idempotencyKey(request),
        `POST /v1/payments/${id}/close`,
        async () => {
          const closed = await closePayment(gw, await ownPayment(gw, merchant, id));
          return { status: 200, body: view(closed) };
        },
      );
      return send(reply, stored);
    },
  );

  app.post(
    '/v1/payments/:id/cancel',
    {
      schema: {
        summary: 'Cancel a payment-code payment (撤销)',
        description:
          'For *_BAR payments: the channel cancels the order — closed if unpaid, refunded if the payer already paid — and the payment ends REVERSED.',
        tags: ['payments'],
        headers: SignedHeaders,
        params: PaymentIdParams,
        response: { 200: Payment, ...errorResponses },
      },
    },
    async (request, reply) => {
      const merchant = merchantOf(request);
      const { id } = request.params as { id: string };
      const stored = await withIdempotency(
        gw,
        merchant.credential.app_id,
        idempotencyKey(request),
        `POST /v1/payments/${id}/cancel`,
        async () => {
          const cancelled = await cancelPayment(gw, await ownPayment(gw, merchant, id));
          return { status: 200, body: view(cancelled) };
        },
      );
      return send(reply, stored);
    },
  );
}

/** A payment of the calling app, or PAYMENT_NOT_FOUND: another app's payment does not exist for it. */
async function ownPayment(gw: Gateway, merchant: AuthenticatedMerchant, id: string): Promise<PaymentRecord> {
  const payment = await findPaymentById(gw.store.db, id);
  if (!payment || payment.app_id !== merchant.credential.app_id) throw new AppError('PAYMENT_NOT_FOUND');
  return payment;
}
