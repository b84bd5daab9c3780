import type { Gateway } from '../services/gateway.ts';
import { deleteExpiredIdempotencyKeys } from '../storage/repositories/idempotency.ts';
import { deleteExpiredNonces } from '../storage/repositories/nonces.ts';
import { RoundTimer } from './rounds.ts';

export const MAINTENANCE_INTERVAL_MS = 60_000;
/** Idempotency keys removed per round, so one round never holds the database long. */
const IDEMPOTENCY_KEYS_PER_ROUND_MAX = 1_000;

/** Clears what has outlived its use: request nonces past their window, expired idempotency keys. */
export class MaintenanceJob {
  readonly #timer: RoundTimer;
  constructor(private readonly gw: Gateway) {
    this.#timer = new RoundTimer(
      MAINTENANCE_INTERVAL_MS,
      () => this.runOnce(),
      (error) => this.gw.logger.error({ err: error }, 'maintenance round failed'),
    );
  }

  async runOnce(): Promise<{ nonces: number; idempotency_keys: number }> {
    const now = this.gw.clock.now_ms();
    const nonces = await this.gw.store.transact((tx) => deleteExpiredNonces(tx, now));
    const idempotency_keys = await this.gw.store.transact((tx) =>
      deleteExpiredIdempotencyKeys(tx, now, IDEMPOTENCY_KEYS_PER_ROUND_MAX),
    );
    return { nonces, idempotency_keys };
  }

  start(): void {
    this.#timer.start();
  }

  /** Stops the timer and waits for a round in progress, so the store can close after it. */
  stop(): Promise<void> {
    return this.#timer.stop();
  }
}
