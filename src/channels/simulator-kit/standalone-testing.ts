import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/**
 * For the simulators' main.test.ts: runs a standalone simulator process (`main`, a path to its
 * main.ts) and waits for its one JSON line on stdout, or rejects if it exits first or stays
 * silent for `timeout_ms`.
 */
const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));

export interface StartedMain<Info> {
  child: ChildProcess;
  info: Info;
  /** Everything it has printed to stdout so far. */
  stdout: () => string;
}

export function startMain<Info>(
  main: string,
  args: string[],
  timeout_ms: number,
): Promise<StartedMain<Info>> {
  const child = spawn(process.execPath, ['--import', 'tsx', main, ...args], {
    cwd: REPO_ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stderr!.on('data', (c: Buffer) => {
    err += c.toString('utf8');
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`no JSON line within ${timeout_ms / 1000} s; stderr: ${err}`));
    }, timeout_ms);
    child.stdout!.on('data', (c: Buffer) => {
      out += c.toString('utf8');
      const newline = out.indexOf('\n');
      if (newline >= 0) {
        clearTimeout(timer);
        resolve({ child, info: JSON.parse(out.slice(0, newline)) as Info, stdout: () => out });
      }
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`exited with ${code} before listening; stderr: ${err}`));
    });
  });
}

/** SIGTERM, and how it exited. */
export function stopMain(
  child: ChildProcess,
): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  return new Promise((resolve) => {
    child.once('exit', (code, signal) => resolve({ code, signal }));
    child.kill('SIGTERM');
  });
}
