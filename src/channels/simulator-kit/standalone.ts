import type { FastifyInstance } from 'fastify';
import { closeHttpAgents } from '../http-client.ts';

/**
 * What every simulator's `main.ts` shares when it runs as its own process: listen on 127.0.0.1
 * only (the control API is unauthenticated), start the notification loop, print ONE JSON line for
 * the parent process (nothing else goes to stdout), and stop cleanly on SIGTERM or SIGINT (exit 0),
 * or give up after a grace period (exit 1) so a stuck close never keeps the process alive.
 */
export interface RunnableSimulator {
  app: FastifyInstance;
  start(): void;
  stop(): Promise<void>;
}

export const SHUTDOWN_GRACE_MS = 5_000;

export function parsePort(value: string | undefined): number {
  const port = Number(value ?? '0');
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error('--port must be 0 to 65535');
  return port;
}

export async function serveStandalone<T extends RunnableSimulator>(
  sim: T,
  port: number,
  announce: (url: string) => Record<string, unknown>,
): Promise<void> {
  const url = await sim.app.listen({ host: '127.0.0.1', port });
  sim.start();
  let stopping = false;
  const shutdown = () => {
    if (stopping) return;
    stopping = true;
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
  process.stdout.write(`${JSON.stringify(announce(url))}\n`);
}

/** Runs `main`, turning a start-up error into one line on stderr and exit status 1. */
export function runMain(name: string, main: () => Promise<void>): void {
  main().catch((error: unknown) => {
    process.stderr.write(`${name}: ${(error as Error).message}\n`);
    process.exit(1);
  });
}

/** A simulator running inside the caller's process (what `paymux start` and tests use). */
export interface InProcessSimulator<T extends RunnableSimulator> {
  sim: T;
  /** Base URL, e.g. http://127.0.0.1:4011 */
  url: string;
  /** Stops the delivery loop and closes the HTTP server. */
  close(): Promise<void>;
}

/** Listens (127.0.0.1 and port 0 unless told), starts the notification loop. */
export async function serveInProcess<T extends RunnableSimulator>(
  sim: T,
  listen: { host?: string; port?: number } = {},
): Promise<InProcessSimulator<T>> {
  const url = await sim.app.listen({ host: listen.host ?? '127.0.0.1', port: listen.port ?? 0 });
  sim.start();
  return {
    sim,
    url,
    async close() {
      await sim.stop();
      await sim.app.close();
    },
  };
}
