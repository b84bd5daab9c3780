import { parseArgs } from 'node:util';
import { systemClock } from '../../../domain/clock.ts';
import { secureRandom } from '../../../domain/random.ts';
import { closeHttpAgents } from '../../http-client.ts';
import { createWechatSimulator } from './server.ts';

/**
 * Runs the WeChat Pay simulator as its own process:
 *
 *   tsx src/channels/wechat/simulator/main.ts --port 0 [--key-file path] [--verbose]
 *
 * Listens on 127.0.0.1 only (the control API is unauthenticated) and, once listening, prints one
 * JSON line to stdout — {"url", "public_key_id", "public_key_pem"} — for a parent process to read.
 * Nothing else goes to stdout. SIGTERM or SIGINT stops it cleanly (exit code 0).
 */
const SHUTDOWN_GRACE_MS = 5_000;

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      port: { type: 'string', default: '0' },
      'key-file': { type: 'string' },
      verbose: { type: 'boolean', default: false },
    },
    strict: true,
  });
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error('--port must be 0 to 65535');

  const sim = createWechatSimulator({
    clock: systemClock,
    random: secureRandom,
    ...(values['key-file'] !== undefined ? { platformKeyFile: values['key-file'] } : {}),
    logger: values.verbose,
  });
  const url = await sim.app.listen({ host: '127.0.0.1', port });
  sim.start();

  let stopping = false;
  const shutdown = () => {
    if (stopping) return;
    stopping = true;
    // A stuck close must not keep the process alive forever.
    setTimeout(() => process.exit(1), SHUTDOWN_GRACE_MS).unref();
    sim
      .stop()
      .then(() => sim.app.close())
      .then(() => {
        closeHttpAgents();
        process.exit(0);
      })
      .catch(() => process.exit(1));
  };
  process.on('SIGTERM', shutdown);
  process.on('SIGINT', shutdown);

  process.stdout.write(
    `${JSON.stringify({ url, public_key_id: sim.platformPublicKeyId, public_key_pem: sim.platformPublicKeyPem })}\n`,
  );
}

main().catch((error: unknown) => {
  process.stderr.write(`wechat simulator: ${(error as Error).message}\n`);
  process.exit(1);
});
