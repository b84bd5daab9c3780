import { Counter, collectDefaultMetrics, Gauge, Registry } from 'prom-client';

/** Prometheus metrics, one registry per gateway so several gateways can live in one test process. */
export interface GatewayMetrics {
  registry: Registry;
  payments_created: Counter<'channel' | 'pay_way' | 'outcome'>;
  payment_transitions: Counter<'from' | 'to' | 'source'>;
  channel_notifications: Counter<'channel' | 'outcome'>;
  event_deliveries: Counter<'outcome'>;
  payer_identity_failures: Counter<'code'>;
  sync_lag_seconds: Gauge<'kind'>;
}

export function createMetrics(options: { default_metrics: boolean }): GatewayMetrics {
  const registry = new Registry();
  if (options.default_metrics) collectDefaultMetrics({ register: registry, prefix: 'paymux_' });
  return {
    registry,
    payer_identity_failures: new Counter({
      name: 'paymux_payer_identity_failures_total',
      help: 'QR cashier payers whose wallet identity could not be captured, by error code',
      labelNames: ['code'],
      registers: [registry],
    }),
    payments_created: new Counter({
      name: 'paymux_payments_created_total',
      help: 'Payments created, by channel, pay way and what the channel said',
      labelNames: ['channel', 'pay_way', 'outcome'],
      registers: [registry],
    }),
    payment_transitions: new Counter({
      name: 'paymux_payment_transitions_total',
      help: 'Payment state changes, by states and what caused them',
      labelNames: ['from', 'to', 'source'],
      registers: [registry],
    }),
    channel_notifications: new Counter({
      name: 'paymux_channel_notifications_total',
      help: 'Notifications received from channels, by what we made of them',
      labelNames: ['channel', 'outcome'],
      registers: [registry],
    }),
    sync_lag_seconds: new Gauge({
      name: 'paymux_sync_lag_seconds',
      help:
        'How far behind its schedule the sync job is, by kind (payment, refund): at the end of its last round, ' +
        'now minus when the most overdue check still waiting was due; 0 when none waits. Growing means more checks fall due than a round may run.',
      labelNames: ['kind'],
      registers: [registry],
    }),
    event_deliveries: new Counter({
      name: 'paymux_event_delivery_attempts_total',
      help: 'Merchant notification attempts, by result',
      labelNames: ['outcome'],
      registers: [registry],
    }),
  };
}
