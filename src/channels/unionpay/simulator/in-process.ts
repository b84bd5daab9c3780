import { type Clock, systemClock } from '../../../domain/clock.ts';
import { type Random, secureRandom } from '../../../domain/random.ts';
import { type InProcessSimulator, serveInProcess } from '../../simulator-kit/standalone.ts';
import { createUnionpaySimulator, type UnionpaySimulator } from './server.ts';

/**
 * The UnionPay simulator inside the caller's process (what `paymux start` runs): listening on
 * `host` (127.0.0.1 by default) and `port` (0: any free one), notification loop started, real
 * clock and randomness unless given, strict user authorisation (UP_JSAPI takes only codes this
 * simulator issued, each once). Its CA is made at first start in `keyDir` (valid 2000–2099), so
 * it works with today's clock, unlike the expired vector certificates.
 */
export interface InProcessUnionpayOptions {
  host?: string;
  port?: number;
  /** Where the simulator's CA lives (kept across restarts); omitted: a fresh CA per run. */
  keyDir?: string;
  clock?: Clock;
  random?: Random;
}

export function startUnionpaySimulatorInProcess(
  options: InProcessUnionpayOptions = {},
): Promise<InProcessSimulator<UnionpaySimulator>> {
  const sim = createUnionpaySimulator({
    clock: options.clock ?? systemClock,
    random: options.random ?? secureRandom,
    strictUserAuth: true,
    ...(options.keyDir !== undefined ? { keyDir: options.keyDir } : {}),
  });
  return serveInProcess(sim, {
    ...(options.host !== undefined ? { host: options.host } : {}),
    ...(options.port !== undefined ? { port: options.port } : {}),
  });
}
