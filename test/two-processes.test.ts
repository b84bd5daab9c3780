import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../src/boot/logger.ts';
import { type GatewayRuntime, openGateway } from '../src/boot/open-gateway.ts';
import type { PaymentView } from '../src/services/payment-view.ts';
import { listDeliveryAttempts } from '../src/storage/repositories/delivery-attempts.ts';
import { listEventsOfPayment } from '../src/storage/repositories/events.ts';
import { postgresAvailable } from './support/databases.ts';
import { type Harness, startHarness } from './support/harness.ts';

const pg_ok = await postgresAvailable();

/**
 * Two gateways on one PostgreSQL database (each with its own connection pool, as two processes
 * would have) deliver merchant events and run the sync job at the same time: every event is
 * attempted once, and every due payment check runs once.
 */
describe.skipIf(!pg_ok)('two gateways on one PostgreSQL', () => {
  let h: Harness;
  let second: GatewayRuntime;

  beforeAll(async () => {
    h = await startHarness('postgres');
    second = await openGateway({ config: h.config, logger: createLogger('silent'), start_jobs: false });
    second.gw.settings.public_url = h.gateway.gw.settings.public_url;
  });
  afterAll(async () => {
    await second.close();
    await h.close();
  });

  it('delivers each merchant event attempt once', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 40; i++) {
      const res = await h.client.request<PaymentView>('POST', '/v1/payments', {
        merchant_order_no: `two-${i}`,
        pay_way: 'WX_NATIVE',
        amount: 100 + i,
        subject: 'x',
        notify_url: h.receiver.url,
      });
      expect(res.status).toBe(201);
      expect(h.sim.pay(res.body.id).ok).toBe(true);
      ids.push(res.body.id);
    }
    await h.sim.deliverDueNotifications();
    const before = h.receiver.received.length;
    // Both gateways race over the same outbox, several rounds each.
    await Promise.all([
      h.gateway.deliverer.drain(),
      second.deliverer.drain(),
      h.gateway.deliverer.drain(),
      second.deliverer.drain(),
    ]);
    const delivered = h.receiver.received
      .slice(before)
      .map((r) => JSON.parse(r.body).data.object.id as string);
    expect(delivered.sort()).toEqual([...ids].sort());
    for (const id of ids) {
      const [event] = await listEventsOfPayment(h.gateway.gw.store.db, id);
      expect(event!.delivery_state).toBe('delivered');
      expect(await listDeliveryAttempts(h.gateway.gw.store.db, event!.id)).toHaveLength(1);
    }
  });
});
