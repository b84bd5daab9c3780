import { execFile } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { chmodSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Random } from '../../../domain/random.ts';
import { toRfc3339Beijing } from '../time.ts';

/**
 * The simulated WeChat Pay's platform certificates (protocols.md §1.4): self-signed X.509
 * certificates issued with the `openssl` CLI (node can make keys but cannot issue certificates),
 * on first use, into the simulator's key-file folder (key and certificate mode 0600), and loaded
 * again from there after a restart. `rotate()` issues the next one, which then signs; the older
 * ones stay downloadable, as WeChat keeps the outgoing certificate published during a rotation.
 *
 * The serial comes from the injected Random (a seeded run names the same serials); the key pair
 * and the validity dates come from openssl and the real clock, which openssl cannot be told.
 */
export interface SimPlatformCert {
  /** Upper-case hex, 40 digits, as WeChat's serials. */
  serial_no: string;
  certificate_pem: string;
  private_key_pem: string;
  effective_time: string;
  expire_time: string;
}

const FILE_PREFIX = 'wechat-platform-cert-';
const CERTS_MAX = 16;
const VALIDITY_DAYS = 5 * 365;
const SUBJECT = '/C=CN/O=Tenpay.com/OU=Tenpay.com CA Center/CN=Tenpay.com Root CA';
const OPENSSL_TIMEOUT_MS = 30_000;

function run(args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile('openssl', args, { timeout: OPENSSL_TIMEOUT_MS }, (error) => {
      if (error)
        reject(
          new Error(`openssl could not issue the platform certificate (${error.message.split('\n')[0]})`),
        );
      else resolve();
    });
  });
}

function certOf(certificate_pem: string, private_key_pem: string): SimPlatformCert {
  const x509 = new X509Certificate(certificate_pem);
  return {
    serial_no: x509.serialNumber.toUpperCase().replace(/^0+(?=.)/, ''),
    certificate_pem,
    private_key_pem,
    effective_time: toRfc3339Beijing(Date.parse(x509.validFrom)),
    expire_time: toRfc3339Beijing(Date.parse(x509.validTo)),
  };
}

export class PlatformCertAuthority {
  readonly #certs: SimPlatformCert[] = [];
  #dir: string | undefined;
  #loaded = false;
  #issuing: Promise<SimPlatformCert> | null = null;

  constructor(
    dir: string | undefined,
    private readonly random: Random,
  ) {
    this.#dir = dir;
  }

  /** The certificates issued so far, oldest first. */
  list(): readonly SimPlatformCert[] {
    this.load();
    return this.#certs;
  }

  /** The newest certificate, issuing the first one if there is none yet. */
  async current(): Promise<SimPlatformCert> {
    this.load();
    const newest = this.#certs.at(-1);
    if (newest) return newest;
    return this.rotate();
  }

  /** Issues a new certificate, which signs from now on. Concurrent callers share one issuance. */
  rotate(): Promise<SimPlatformCert> {
    this.load();
    if (this.#issuing) return this.#issuing;
    this.#issuing = this.issue().finally(() => {
      this.#issuing = null;
    });
    return this.#issuing;
  }

  private directory(): string {
    this.#dir ??= mkdtempSync(join(tmpdir(), 'wxsim-certs-'));
    return this.#dir;
  }

  private async issue(): Promise<SimPlatformCert> {
    if (this.#certs.length >= CERTS_MAX) throw new Error(`at most ${CERTS_MAX} platform certificates`);
    const bytes = this.random.bytes(20);
    // A positive serial without a leading zero nibble: 40 hex digits like WeChat's.
    bytes[0] = (bytes[0]! & 0x7f) | 0x10;
    const serial = bytes.toString('hex').toUpperCase();
    const dir = this.directory();
    const key_file = join(dir, `${FILE_PREFIX}${serial}.key`);
    const cert_file = join(dir, `${FILE_PREFIX}${serial}.pem`);
    // Created 0600 before openssl writes into them, so the key is never readable by others.
    writeFileSync(key_file, '', { mode: 0o600, flag: 'wx' });
    writeFileSync(cert_file, '', { mode: 0o600, flag: 'wx' });
    await run([
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-sha256',
      '-keyout',
      key_file,
      '-out',
      cert_file,
      '-days',
      String(VALIDITY_DAYS),
      '-subj',
      SUBJECT,
      '-set_serial',
      `0x${serial}`,
    ]);
    chmodSync(key_file, 0o600);
    chmodSync(cert_file, 0o600);
    const cert = certOf(readFileSync(cert_file, 'utf8'), readFileSync(key_file, 'utf8'));
    this.#certs.push(cert);
    return cert;
  }

  /** Certificates issued by an earlier run in the same folder, oldest first. */
  private load(): void {
    if (this.#loaded) return;
    this.#loaded = true;
    if (this.#dir === undefined) return;
    let names: string[];
    try {
      names = readdirSync(this.#dir).filter((name) => name.startsWith(FILE_PREFIX) && name.endsWith('.pem'));
    } catch {
      return;
    }
    const found: Array<{ cert: SimPlatformCert; at_ms: number }> = [];
    for (const name of names.slice(0, CERTS_MAX)) {
      const cert_file = join(this.#dir, name);
      try {
        const cert = certOf(
          readFileSync(cert_file, 'utf8'),
          readFileSync(cert_file.replace(/\.pem$/, '.key'), 'utf8'),
        );
        found.push({ cert, at_ms: statSync(cert_file).mtimeMs });
      } catch {
        // A half-written pair (a crash during issuance) is skipped; the next issue makes a new one.
      }
    }
    found.sort((a, b) => a.at_ms - b.at_ms);
    for (const { cert } of found) this.#certs.push(cert);
  }
}
