import { generateKeyPairSync } from 'node:crypto';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';

/**
 * What the channels' testing.ts share: the conformance vectors, RSA key pairs, and a loopback HTTP
 * server for capturing notifications. Imported by tests only.
 */

/** shared/vectors beside the repository (CI checks shared/ out next to the clone). */
export const VECTORS_DIR = fileURLToPath(new URL('../../../../shared/vectors/', import.meta.url));

export function readVectorText(relative_path: string): string {
  return readFileSync(`${VECTORS_DIR}${relative_path}`, 'utf8');
}

export function readVector<T>(file: string): T {
  return JSON.parse(readVectorText(file)) as T;
}

export interface RsaPemPair {
  private_key_pem: string;
  public_key_pem: string;
}

export function rsaPair(): RsaPemPair {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return {
    private_key_pem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    public_key_pem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
  };
}

export interface CapturedRequest {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}

export interface LoopbackAnswer {
  status: number;
  content_type: string;
  body?: string | undefined;
}

/**
 * A server on 127.0.0.1 (a free port) that reads each request whole and answers what `handle`
 * says; 'hang' never answers. `close()` drops open connections too.
 */
export async function listenLoopback(
  handle: (request: CapturedRequest) => LoopbackAnswer | 'hang',
): Promise<{ url: string; close(): Promise<void> }> {
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const answer = handle({
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
      });
      if (answer === 'hang') return;
      res.writeHead(answer.status, { 'content-type': answer.content_type });
      res.end(answer.body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
