import type { FastifyInstance } from 'fastify';
import { testPage } from '../../cashier/test-page.ts';
import type { Gateway } from '../../services/gateway.ts';
import { langOf, sendPage } from './cashier.ts';

/** GET /test: the payment test page (src/cashier/test-page.ts). Prefilled only in the demo. */
export function testPageRoutes(app: FastifyInstance, gw: Gateway): void {
  app.get('/test', { schema: { hide: true } }, async (request, reply) => {
    const demo = gw.settings.demo;
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
