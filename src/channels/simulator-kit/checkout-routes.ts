import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { redirectTarget } from './one-time-codes.ts';
import {
  errorPage,
  formOf,
  payPage,
  queryOf,
  redirect,
  resultPage,
  sendHtml,
  type WalletTheme,
} from './wallet-page.ts';

/** What the payer sees of an order on the wallet's pages. */
export interface OrderView {
  merchant: string;
  subject: string;
  amount_fen: number;
}

/** An order the request names, or the error page to show instead: its status and [zh, en] text. */
export type Found<Order> = { order: Order } | { status: number; text: [string, string] };

/** What a simulator's wallet needs to show an order and pay it; the pages are the same for all. */
export interface Checkout<Order> {
  /** The order the page's query (GET) or its posted form (POST) names, checked payable. */
  find(fields: Record<string, string>): Found<Order> | Promise<Found<Order>>;
  view(order: Order): OrderView;
  /** The fields the Pay form posts back, from which `find` names the order again. */
  carry(fields: Record<string, string>, order: Order): Record<string, string>;
  pay(
    order: Order,
    request: FastifyRequest,
    reply: FastifyReply,
  ): { ok: true } | { ok: false; message: string } | Promise<{ ok: true } | { ok: false; message: string }>;
}

/**
 * GET `path` shows the order with a Pay button; POST `path` pays it, then goes back to the page
 * that sent the payer (`return_url`, in-wallet payment) or shows the result (a scanned code).
 */
export function checkoutRoutes<Order>(
  app: FastifyInstance,
  theme: WalletTheme,
  path: string,
  checkout: Checkout<Order>,
): void {
  app.get(path, async (request, reply) => {
    const query = queryOf(request);
    const found = await checkout.find(query);
    if ('text' in found) return sendHtml(reply, found.status, errorPage(theme, ...found.text));
    const return_url = redirectTarget(query.return_url);
    return sendHtml(
      reply,
      200,
      payPage(theme, {
        ...checkout.view(found.order),
        action: path,
        fields: {
          ...checkout.carry(query, found.order),
          ...(return_url !== null ? { return_url } : {}),
        },
        ...(return_url !== null ? { cancel_url: return_url } : {}),
      }),
    );
  });

  app.post(path, async (request, reply) => {
    const form = formOf(request);
    const found = await checkout.find(form);
    if ('text' in found) return sendHtml(reply, found.status, errorPage(theme, ...found.text));
    const paid = await checkout.pay(found.order, request, reply);
    if (!paid.ok) return sendHtml(reply, 409, errorPage(theme, '支付失败', paid.message));
    const return_url = redirectTarget(form.return_url);
    if (return_url !== null) return redirect(reply, return_url, 303);
    return sendHtml(reply, 200, resultPage(theme, checkout.view(found.order)));
  });
}

/** `find`'s answer from an order lookup and the simulator's payable check. */
export function foundOrNotFound<Order>(
  order: Order | undefined,
  problem: [string, string] | null,
): Found<Order> {
  if (problem) return { status: 404, text: problem };
  if (order === undefined) return { status: 404, text: ['订单不存在', 'No such order'] };
  return { order };
}
