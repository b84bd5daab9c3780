import type { FastifyInstance } from 'fastify';
import type { ExchangeTiming } from '../../channels/http-client.ts';
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
import { sendIdempotent } from '../idempotency.ts';
import { type AuthenticatedMerchant, merchantOf } from '../merchant-auth.ts';
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
import { channelServerTiming } from '../server-timing.ts';

/** The merchant payment API: thin handlers over the services; every route is signed (see app.ts). */
export function paymentRoutes(app: FastifyInstance, gw: Gateway): void {
  const view = (p: PaymentRecord) => paymentView(p, gw.settings.public_url);
  app.post(
    '/v1/payments',
    {
      schema: {
        summary: 'Create a payment',
        description:
          'Creates a payment and asks the channel for what the payer needs (for WX_NATIVE a code_url to show as a QR code). ' +
          'A retry with the same merchant_order_no and the same parameters returns the same payment (200); other parameters → 409 MERCHANT_ORDER_NO_REUSED. ' +
          "When the channel was called, the Server-Timing header gives how long it took (channel;dur=<ms>), to tell its share of the wait from the gateway's.",
        tags: ['payments'],
        headers: SignedHeaders,
        body: CreatePaymentBody,
        response: { 200: Payment, 201: Payment, ...errorResponses },
      },
    },
    async (request, reply) =>
      sendIdempotent(gw, request, reply, async () => {
        const body = request.body as CreatePaymentBody;
        const timing: ExchangeTiming = { elapsed_ms: 0, exchanges: 0 };
        const { created, payment } = await createPayment(gw, merchantOf(request).credential, body, timing);
        if (timing.exchanges > 0) void reply.header('server-timing', channelServerTiming(timing));
        return { status: created ? 201 : 200, body: view(payment) };
      }),
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
    async (request, reply) =>
      sendIdempotent(gw, request, reply, async () => {
        const { id } = request.params as { id: string };
        const closed = await closePayment(gw, await ownPayment(gw, merchantOf(request), id));
        return { status: 200, body: view(closed) };
      }),
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
    async (request, reply) =>
      sendIdempotent(gw, request, reply, async () => {
        const { id } = request.params as { id: string };
        const cancelled = await cancelPayment(gw, await ownPayment(gw, merchantOf(request), id));
        return { status: 200, body: view(cancelled) };
      }),
  );
}

/** A payment of the calling app, or PAYMENT_NOT_FOUND: another app's payment does not exist for it. */
export async function ownPayment(
  gw: Gateway,
  merchant: AuthenticatedMerchant,
  id: string,
): Promise<PaymentRecord> {
  const payment = await findPaymentById(gw.store.db, id);
  if (!payment || payment.app_id !== merchant.credential.app_id) throw new AppError('PAYMENT_NOT_FOUND');
  return payment;
}
