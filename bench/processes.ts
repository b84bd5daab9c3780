import { type ChildProcess, fork, spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';

/**
 * Starting and talking to the benchmark's processes. Every part runs in its own process so the
 * load generator, the gateway and the channel simulator compete for the machine's cores as they
 * would in production, and so the gateway's own CPU time can be read from its process alone.
 */
const TSX = ['--import', 'tsx'];
export const root = fileURLToPath(new URL('..', import.meta.url));

export interface Worker {
  child: ChildProcess;
  ask<T>(message: Record<string, unknown>): Promise<T>;
  stop(): Promise<void>;
}

/** Forks a TypeScript worker with an IPC channel; each `ask` sends a message and waits for its reply. */
export function forkWorker(script: string, env: Record<string, string> = {}): Worker {
  // BENCH_PROFILE=dir writes a CPU profile of each worker there (open it in Chrome's DevTools).
  const profile = process.env.BENCH_PROFILE
    ? ['--cpu-prof', '--cpu-prof-dir', process.env.BENCH_PROFILE]
    : [];
  const child = fork(fileURLToPath(new URL(script, import.meta.url)), [], {
    execArgv: [
      ...TSX,
      ...profile,
      ...(script.includes('gateway') && process.env.BENCH_NODE_FLAGS
        ? process.env.BENCH_NODE_FLAGS.split(' ')
        : []),
    ],
    env: { ...process.env, ...env },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  let seq = 0;
  const waiting = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  child.on('message', (raw) => {
    const m = raw as { id: number; ok: boolean; value?: unknown; error?: string };
    const w = waiting.get(m.id);
    if (!w) return;
    waiting.delete(m.id);
    if (m.ok) w.resolve(m.value);
    else w.reject(new Error(m.error));
  });
  child.on('exit', (code) => {
    for (const w of waiting.values()) w.reject(new Error(`${script} exited with ${code}`));
    waiting.clear();
  });
  return {
    child,
    ask<T>(message: Record<string, unknown>) {
      const id = ++seq;
      return new Promise<T>((resolve, reject) => {
        waiting.set(id, { resolve: resolve as (v: unknown) => void, reject });
        child.send({ ...message, id });
      });
    },
    async stop() {
      if (child.exitCode !== null) return;
      child.kill('SIGTERM');
      await once(child, 'exit');
    },
  };
}

/** The worker side of `ask`: answers each message with the handler's result. */
export function serveWorker(handler: (message: Record<string, unknown>) => Promise<unknown>): void {
  process.on('message', (raw) => {
    const message = raw as Record<string, unknown> & { id: number };
    handler(message).then(
      (value) => process.send?.({ id: message.id, ok: true, value }),
      (error: unknown) =>
        process.send?.({ id: message.id, ok: false, error: String((error as Error)?.stack ?? error) }),
    );
  });
  process.on('SIGTERM', () => process.exit(0));
}

export interface SimulatorProcess {
  url: string;
  public_key_id: string;
  public_key_pem: string;
  stop(): Promise<void>;
}

export interface AlipaySimulatorProcess {
  url: string;
  gateway_url: string;
  alipay_public_key_pem: string;
  stop(): Promise<void>;
}

/** Starts a simulator's standalone main as its own process and reads its one JSON line. */
async function startSimulator<T>(main: string, key_file: string): Promise<T & { stop(): Promise<void> }> {
  const child = spawn(process.execPath, [...TSX, main, '--port', '0', '--key-file', key_file], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let buffer = '';
  const line = await new Promise<string>((resolve, reject) => {
    child.stdout!.on('data', (d) => {
      buffer += d;
      const nl = buffer.indexOf('\n');
      if (nl >= 0) resolve(buffer.slice(0, nl));
    });
    child.once('exit', (code) => reject(new Error(`${main} exited with ${code}`)));
  });
  const info = JSON.parse(line) as T;
  return {
    ...info,
    async stop() {
      if (child.exitCode !== null) return;
      child.kill('SIGTERM');
      await once(child, 'exit');
    },
  };
}

/** The WeChat Pay simulator in its own process. */
export function startWechatSimulator(key_file: string): Promise<SimulatorProcess> {
  return startSimulator('src/channels/wechat/simulator/main.ts', key_file);
}

/** The Alipay simulator in its own process. */
export function startAlipaySimulator(key_file: string): Promise<AlipaySimulatorProcess> {
  return startSimulator('src/channels/alipay/simulator/main.ts', key_file);
}
