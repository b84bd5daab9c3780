import { type Clock, systemClock } from '../../../domain/clock.ts';
import { type Random, secureRandom } from '../../../domain/random.ts';
import { type InProcessSimulator, serveInProcess } from '../../simulator-kit/standalone.ts';
import { type AlipaySimulator, createAlipaySimulator } from './server.ts';

/**
 * The Alipay simulator inside the caller's process (what `paymux start` runs): listening on
 * `host` (127.0.0.1 by default) and `port` (0: any free one), notification loop started, real
 * clock and randomness unless given. `close()` stops the loop and the server.
 */
export interface InProcessAlipayOptions {
  host?: string;
  port?: number;
  /** Where the simulator's Alipay key lives (kept across restarts); omitted: a fresh key per run. */
  keyFile?: string;
  clock?: Clock;
  random?: Random;
}

export function startAlipaySimulatorInProcess(
  options: InProcessAlipayOptions = {},
): Promise<InProcessSimulator<AlipaySimulator>> {
  const sim = createAlipaySimulator({
    clock: options.clock ?? systemClock,
    random: options.random ?? secureRandom,
    ...(options.keyFile !== undefined ? { keyFile: options.keyFile } : {}),
  });
  return serveInProcess(sim, {
    ...(options.host !== undefined ? { host: options.host } : {}),
    ...(options.port !== undefined ? { port: options.port } : {}),
  });
}
