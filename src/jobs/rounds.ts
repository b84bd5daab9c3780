/**
 * What the jobs share: a job does its work in rounds (claim a batch, work it, return how many), and
 * a timer starts a round every so often.
 */

/** Runs rounds until one finds nothing due, at most `rounds_max`; returns how many items in all. */
export async function drainRounds(round: () => Promise<number>, rounds_max: number): Promise<number> {
  let total = 0;
  for (let i = 0; i < rounds_max; i++) {
    const n = await round();
    total += n;
    if (n === 0) break;
  }
  return total;
}

/**
 * Starts `round` every `interval_ms`, never two at once: a tick while a round still runs is skipped.
 * A round that throws is reported to `onError` and the next tick tries again. `stop()` clears the
 * timer and waits for the round in progress, so what the round uses (the store) can close after it.
 */
export class RoundTimer {
  #timer: NodeJS.Timeout | null = null;
  #round: Promise<void> | null = null;

  constructor(
    private readonly interval_ms: number,
    private readonly round: () => Promise<unknown>,
    private readonly onError: (error: unknown) => void,
  ) {}

  start(): void {
    if (this.#timer) return;
    this.#timer = setInterval(() => {
      if (this.#round) return;
      this.#round = this.round()
        .then(() => undefined, this.onError)
        .finally(() => {
          this.#round = null;
        });
    }, this.interval_ms);
    this.#timer.unref();
  }

  async stop(): Promise<void> {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = null;
    await this.#round;
  }
}
