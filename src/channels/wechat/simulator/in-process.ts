import { type Clock, systemClock } from '../../../domain/clock.ts';
import { type Random, secureRandom } from '../../../domain/random.ts';
import { type InProcessSimulator, serveInProcess } from '../../simulator-kit/standalone.ts';
import { createWechatSimulator, type WechatSimulator } from './server.ts';

/**
 * The WeChat Pay simulator inside the caller's process (what `paymux start` runs): listening on
 * `host` (127.0.0.1 by default) and `port` (0: any free one), notification loop started, real
 * clock and randomness unless given. `close()` stops the loop and the server.
 */
export interface InProcessWechatOptions {
  host?: string;
  port?: number;
  /** Where the platform key lives (kept across restarts); omitted: a fresh key per run. */
  platformKeyFile?: string;
  clock?: Clock;
  random?: Random;
}

export function startWechatSimulatorInProcess(
  options: InProcessWechatOptions = {},
): Promise<InProcessSimulator<WechatSimulator>> {
  const sim = createWechatSimulator({
    clock: options.clock ?? systemClock,
    random: options.random ?? secureRandom,
    ...(options.platformKeyFile !== undefined ? { platformKeyFile: options.platformKeyFile } : {}),
  });
  return serveInProcess(sim, {
    ...(options.host !== undefined ? { host: options.host } : {}),
    ...(options.port !== undefined ? { port: options.port } : {}),
  });
}
