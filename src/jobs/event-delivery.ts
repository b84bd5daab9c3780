import { failpoint } from '../boot/failpoints.ts';
import { HttpClientError, httpRequest } from '../channels/http-client.ts';
import { DELIVERY_TIMEOUT_MS, nextDeliveryAt } from '../domain/delivery-schedule.ts';
import { newId } from '../domain/ids.ts';
import { HEADER_SIGNATURE, webhookSignatureHeader } from '../protocol/merchant-signature.ts';
import type { Gateway } from '../services/gateway.ts';
import { insertDeliveryAttempt } from '../storage/repositories/delivery-attempts.ts';
import { claimDueEvents, type EventRecord, finishDelivery } from '../storage/repositories/events.ts';
import { drainRounds } from './rounds.ts';

/** Events claimed per round; also the most deliveries in flight at once. */
export const DELIVERY_BATCH_MAX = 64;
/** A claimed event is ours for this long; a worker that dies releases it by letting it run out. */
export const DELIVERY_LEASE_MS = DELIVERY_TIMEOUT_MS * 3;
/** How often to look for due events when nothing woke us. */
export const DELIVERY_POLL_INTERVAL_MS = 500;
/** Merchant answers are read up to this size (only the status counts). */
const MERCHANT_RESPONSE_LIMIT_BYTES = 16 * 1024;

/**
 * Delivers merchant notifications from the outbox: at least once, signed, on the schedule in
 * domain/delivery-schedule.ts, every attempt recorded. Any 2xx from the merchant counts as
 * received; anything else (or no answer in time) is retried until the schedule runs out.
 */
export class EventDeliverer {
  #timer: NodeJS.Timeout | null = null;
  #running = false;
  #wake_requested = false;
  #stopped = true;
  /** The round in flight, if any: stop() waits for it. */
  #round: Promise<void> | null = null;
  /** How long one merchant endpoint gets to answer; tests shorten it. */
  timeout_ms = DELIVERY_TIMEOUT_MS;

  constructor(private readonly gw: Gateway) {}

  /** Claims due events and delivers them; returns how many were attempted. */
  async runOnce(): Promise<number> {
    const now = this.gw.clock.now_ms();
    // A fresh token per round: a round reads back only what it claimed itself.
    const owner = this.gw.random.bytes(12).toString('hex');
    const events = await this.gw.store.transact((tx) =>
      claimDueEvents(tx, now, DELIVERY_LEASE_MS, DELIVERY_BATCH_MAX, owner),
    );
    failpoint('delivery.after_claim');
    await Promise.all(events.map((event) => this.deliver(event)));
    return events.length;
  }

  /** Runs rounds until nothing is due (bounded), for tests and shutdown. */
  drain(rounds_max = 100): Promise<number> {
    return drainRounds(() => this.runOnce(), rounds_max);
  }

  start(): void {
    this.#stopped = false;
    this.schedule(0);
  }

  /**
   * Stops scheduling rounds and waits for the one in flight (at most one delivery timeout): its
   * deliveries are recorded before the store closes, instead of being sent again to the merchant
   * once their lease runs out after the restart.
   */
  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
    await this.#round;
  }

  /** New events were committed: look now instead of at the next poll. */
  wake(): void {
    if (this.#stopped) return;
    if (this.#running) {
      this.#wake_requested = true;
      return;
    }
    this.schedule(0);
  }

  private schedule(delay_ms: number): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = setTimeout(() => this.loop(), delay_ms);
    this.#timer.unref();
  }

  private loop(): void {
    if (this.#stopped || this.#running) return;
    this.#running = true;
    this.#round = this.round();
  }

  private async round(): Promise<void> {
    let busy = false;
    try {
      busy = (await this.runOnce()) === DELIVERY_BATCH_MAX;
    } catch (error) {
      this.gw.logger.error({ err: error }, 'event delivery round failed');
    } finally {
      this.#running = false;
    }
    const again = busy || this.#wake_requested;
    this.#wake_requested = false;
    if (!this.#stopped) this.schedule(again ? 0 : DELIVERY_POLL_INTERVAL_MS);
  }

  private async deliver(event: EventRecord): Promise<void> {
    const gw = this.gw;
    const started = gw.clock.now_ms();
    const attempt_no = event.attempts + 1;
    let http_status: number | null = null;
    let error: string | null = null;
    const credential = await gw.credentials.get(event.app_id);
    if (!credential || event.notify_url === null) {
      error = 'app or notify_url missing';
    } else {
      const timestamp = Math.floor(started / 1000);
      try {
        const response = await httpRequest({
          method: 'POST',
          url: event.notify_url,
          headers: {
            'content-type': 'application/json',
            'user-agent': 'Paymux-Notify/1',
            'paymux-event-id': event.id,
            'paymux-event-type': event.type,
            [HEADER_SIGNATURE]: webhookSignatureHeader(credential.secrets, timestamp, event.payload_json),
          },
          body: event.payload_json,
          timeout_ms: this.timeout_ms,
          body_limit_bytes: MERCHANT_RESPONSE_LIMIT_BYTES,
        });
        http_status = response.status;
        if (response.status < 200 || response.status >= 300)
          error = `merchant answered HTTP ${response.status}`;
      } catch (e) {
        error = e instanceof HttpClientError ? `${e.kind}: ${e.message}` : 'delivery failed';
      }
    }
    failpoint('delivery.after_send');
    const finished = gw.clock.now_ms();
    const delivered = error === null;
    const next = delivered ? null : nextDeliveryAt(event.created_at, attempt_no);
    gw.metrics.event_deliveries.inc({
      outcome: delivered ? 'delivered' : next === null ? 'exhausted' : 'retry',
    });
    await gw.store.transact(async (tx) => {
      await insertDeliveryAttempt(tx, {
        id: newId('delivery_attempt', gw.clock, gw.random),
        event_id: event.id,
        attempt_no,
        started_at: started,
        duration_ms: finished - started,
        http_status,
        error,
      });
      await finishDelivery(tx, event.id, {
        attempts: attempt_no,
        delivered_at: delivered ? finished : null,
        next_attempt_at: next,
        last_error: error,
      });
    });
    if (!delivered)
      gw.logger.info(
        { event_id: event.id, attempt_no, error, next_attempt_at: next },
        'merchant notification not received',
      );
  }
}
