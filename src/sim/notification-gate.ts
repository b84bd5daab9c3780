import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';

/**
 * The channels' notifications reach the simulated gateway through this gate, which makes their
 * order deterministic: the simulators send a due batch concurrently, so they arrive in whatever
 * order the sockets deliver them. The gate collects a batch (until no request came for
 * GATE_QUIET_MS), sorts it by URL and body (both fixed by the seed) and forwards one at a time.
 * While the gateway is "crashed" the gate drops connections, as a dead process would.
 */
export const GATE_QUIET_MS = 8;
/** Requests held at once; more are refused (the simulators retry). */
export const GATE_QUEUE_MAX = 1_000;
const BODY_LIMIT_BYTES = 256 * 1024;

interface Held {
  method: string;
  url: string;
  headers: Record<string, string>;
  body: Buffer;
  res: ServerResponse;
}

export class NotificationGate {
  /** Where the gateway listens now (it moves on every restart). */
  target = '';
  /** When true, connections are dropped without an answer. */
  down = false;
  url = '';
  /** Called after each forwarded request: lets the simulation notice a crash mid-batch. */
  afterEach: () => void = () => {};
  #server: Server;
  #held: Held[] = [];
  #timer: NodeJS.Timeout | null = null;
  #flushing: Promise<void> | null = null;

  constructor() {
    this.#server = createServer((req, res) => void this.#take(req, res));
  }

  async listen(): Promise<string> {
    await new Promise<void>((resolve) => this.#server.listen(0, '127.0.0.1', resolve));
    const address = this.#server.address();
    if (address === null || typeof address === 'string') throw new Error('gate has no port');
    this.url = `http://127.0.0.1:${address.port}`;
    return this.url;
  }

  async close(): Promise<void> {
    if (this.#timer) clearTimeout(this.#timer);
    for (const h of this.#held.splice(0)) h.res.destroy();
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  async #take(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of req) {
      size += (chunk as Buffer).length;
      if (size > BODY_LIMIT_BYTES) {
        res.destroy();
        return;
      }
      chunks.push(chunk as Buffer);
    }
    if (this.down || this.#held.length >= GATE_QUEUE_MAX) {
      res.destroy();
      return;
    }
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(req.headers)) {
      if (v === undefined || k === 'host' || k === 'connection' || k === 'content-length') continue;
      headers[k] = Array.isArray(v) ? v.join(', ') : v;
    }
    this.#held.push({
      method: req.method ?? 'POST',
      url: req.url ?? '/',
      headers,
      body: Buffer.concat(chunks),
      res,
    });
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = setTimeout(() => void this.#flush(), GATE_QUIET_MS);
  }

  /** Resolves when everything held so far has been answered. */
  async idle(): Promise<void> {
    while (this.#timer !== null || this.#flushing !== null) {
      if (this.#flushing) await this.#flushing;
      else await new Promise((r) => setTimeout(r, GATE_QUIET_MS));
    }
  }

  async #flush(): Promise<void> {
    this.#timer = null;
    if (this.#flushing) {
      await this.#flushing;
      if (this.#timer === null && this.#held.length > 0) return this.#flush();
      return;
    }
    this.#flushing = this.#run();
    try {
      await this.#flushing;
    } finally {
      this.#flushing = null;
    }
  }

  async #run(): Promise<void> {
    const batch = this.#held.splice(0).sort((a, b) => {
      if (a.url !== b.url) return a.url < b.url ? -1 : 1;
      return Buffer.compare(a.body, b.body);
    });
    for (const h of batch) {
      if (this.down) {
        h.res.destroy();
        continue;
      }
      try {
        const answer = await fetch(`${this.target}${h.url}`, {
          method: h.method,
          headers: h.headers,
          body: new Uint8Array(h.body),
        });
        const text = Buffer.from(await answer.arrayBuffer());
        h.res.writeHead(answer.status, {
          'content-type': answer.headers.get('content-type') ?? 'text/plain',
        });
        h.res.end(text);
      } catch {
        h.res.destroy();
      }
      this.afterEach();
    }
  }
}
