import type { FastifyInstance } from 'fastify';
import { testPage } from '../../cashier/test-page.ts';
import type { Gateway } from '../../services/gateway.ts';
import { langOf, sendPage } from './cashier.ts';

/** GET /test: the payment test page (src/cashier/test-page.ts). Prefilled only in the demo, and only for a local browser. */
export function testPageRoutes(app: FastifyInstance, gw: Gateway): void {
  app.get('/test', { schema: { hide: true } }, async (request, reply) => {
    // The demo app's secret is written into the page only for a browser on this machine.
    const demo = isLoopback(request.socket.remoteAddress) ? gw.settings.demo : undefined;
    const body = testPage(langOf(request, reply), {
      app_id: demo?.app_id ?? '',
      app_secret: demo?.app_secret ?? '',
      notify_url: demo?.notify_url ?? '',
      wallet_scan_urls: demo?.wallet_scan_urls ?? {},
      demo: demo !== undefined,
    });
    return sendPage(reply, 200, body);
  });
}

function isLoopback(address: string | undefined): boolean {
  return address === '127.0.0.1' || address === '::1' || address === '::ffff:127.0.0.1';
}
