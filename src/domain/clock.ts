/**
 * Time is injected everywhere it matters (expiry, retries, signatures' freshness windows) so that
 * tests and simulations can replay exactly. Production uses the system clock.
 */
export interface Clock {
  /** Milliseconds since the Unix epoch. */
  now_ms(): number;
}

export const systemClock: Clock = { now_ms: () => Date.now() };

/** A clock that only moves when told to: for tests and seeded simulations. */
export class ManualClock implements Clock {
  constructor(private current_ms: number) {}
  now_ms(): number {
    return this.current_ms;
  }
  advance(delta_ms: number): void {
    if (delta_ms < 0) throw new Error('ManualClock cannot go backwards');
    this.current_ms += delta_ms;
  }
  set(at_ms: number): void {
    this.current_ms = at_ms;
  }
}

export function unixSeconds(clock: Clock): number {
  return Math.floor(clock.now_ms() / 1000);
}
