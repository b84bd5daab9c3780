import { execFileSync } from 'node:child_process';
import { randomBytes, X509Certificate } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_SIGNER_CN_NAME } from '../constants.ts';
import { certIdOf } from '../crypto.ts';

/**
 * The simulator's own certificate authority: a root, a middle (intermediate) and a signing
 * certificate whose CN has UnionPay's shape, so an adapter configured with the simulator's root and
 * middle verifies its replies exactly as it would UnionPay's. Node cannot issue certificates, so
 * the `openssl` CLI makes them, once, into the key directory (mode 0600); later starts reuse them.
 *
 * Validity runs from 2000 to 2099 so that tests may pin their clock to any date they like.
 * Keys come from openssl's CSPRNG, not the injected Random: key generation cannot be seeded.
 */
export interface SimCa {
  key_dir: string;
  root_cert_pem: string;
  middle_cert_pem: string;
  sign_cert_pem: string;
  sign_key_pem: string;
  /** Decimal serial of the signing certificate. */
  cert_id: string;
}

const FILES = {
  root_cert_pem: 'root.pem',
  middle_cert_pem: 'middle.pem',
  sign_cert_pem: 'sign.pem',
  sign_key_pem: 'sign.key',
} as const;
type CaFile = keyof typeof FILES;

const NOT_BEFORE = '20000101000000Z';
const NOT_AFTER = '20991231235959Z';
const OPENSSL_TIMEOUT_MS = 30_000;

const CA_CONFIG = `
[ ca ]
default_ca = sim_ca
[ sim_ca ]
database = index.txt
new_certs_dir = .
serial = serial.txt
default_md = sha256
policy = any
unique_subject = no
copy_extensions = none
email_in_dn = no
[ any ]
countryName = optional
organizationName = optional
organizationalUnitName = optional
commonName = supplied
[ req ]
distinguished_name = dn
string_mask = utf8only
utf8 = yes
prompt = no
[ dn ]
CN = placeholder
[ v3_ca ]
basicConstraints = critical,CA:true
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
[ v3_sign ]
basicConstraints = critical,CA:false
keyUsage = critical,digitalSignature,nonRepudiation
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
`;

function openssl(cwd: string, args: string[]): void {
  try {
    execFileSync('openssl', args, { cwd, stdio: ['ignore', 'pipe', 'pipe'], timeout: OPENSSL_TIMEOUT_MS });
  } catch (error) {
    const stderr = (error as { stderr?: Buffer }).stderr?.toString('utf8').trim() ?? '';
    throw new Error(`openssl ${args[0]} failed: ${stderr.split('\n')[0] ?? 'no output'}`);
  }
}

function newKeyAndRequest(cwd: string, name: string, subject: string): void {
  openssl(cwd, [
    'req',
    '-new',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-config',
    'ca.cnf',
    '-utf8',
    '-keyout',
    `${name}.key`,
    '-out',
    `${name}.csr`,
    '-subj',
    subject,
  ]);
}

function issue(
  cwd: string,
  name: string,
  issuer: string | null,
  extensions: string,
  serial_hex?: string,
): void {
  if (serial_hex !== undefined) writeFileSync(join(cwd, 'serial.txt'), `${serial_hex}\n`);
  const signer =
    issuer === null
      ? ['-selfsign', '-keyfile', `${name}.key`]
      : ['-cert', `${issuer}.pem`, '-keyfile', `${issuer}.key`];
  openssl(cwd, [
    'ca',
    '-batch',
    '-config',
    'ca.cnf',
    '-utf8',
    '-notext',
    ...signer,
    '-in',
    `${name}.csr`,
    '-out',
    `${name}.pem`,
    '-startdate',
    NOT_BEFORE,
    '-enddate',
    NOT_AFTER,
    '-extensions',
    extensions,
    ...(serial_hex === undefined ? ['-rand_serial'] : []),
  ]);
}

/** A positive 40-bit serial, hex, like UnionPay's 11-digit decimal certIds. */
function signingSerialHex(): string {
  const bytes = randomBytes(5);
  bytes[0] = (bytes[0]! & 0x7f) | 0x10;
  return bytes.toString('hex').toUpperCase();
}

function generate(): Record<CaFile, string> {
  const work = mkdtempSync(join(tmpdir(), 'upsim-ca-'));
  try {
    writeFileSync(join(work, 'ca.cnf'), CA_CONFIG);
    writeFileSync(join(work, 'index.txt'), '');
    writeFileSync(join(work, 'serial.txt'), '01\n');
    newKeyAndRequest(work, 'root', '/C=CN/O=Paymux Simulator/CN=Paymux Sim UnionPay Root');
    issue(work, 'root', null, 'v3_ca');
    newKeyAndRequest(work, 'middle', '/C=CN/O=Paymux Simulator/CN=Paymux Sim UnionPay Middle');
    issue(work, 'middle', 'root', 'v3_ca');
    const serial_tail = String(randomBytes(4).readUInt32BE(0) % 100_000_000).padStart(8, '0');
    newKeyAndRequest(
      work,
      'sign',
      `/C=cn/O=Paymux Sim OCA/CN=041@8310000000083040@${DEFAULT_SIGNER_CN_NAME}@${serial_tail}`,
    );
    issue(work, 'sign', 'middle', 'v3_sign', signingSerialHex());
    const read = (file: string) => readFileSync(join(work, file), 'utf8');
    return {
      root_cert_pem: read('root.pem'),
      middle_cert_pem: read('middle.pem'),
      sign_cert_pem: read('sign.pem'),
      sign_key_pem: read('sign.key'),
    };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

function complete(key_dir: string, pems: Record<CaFile, string>): SimCa {
  return { key_dir, ...pems, cert_id: certIdOf(new X509Certificate(pems.sign_cert_pem)) };
}

/**
 * Loads the CA from `key_dir`, or creates it there (mode 0600) when the directory holds none of
 * its files. Omitted: a fresh CA in a new temporary directory.
 */
export function loadOrCreateSimCa(key_dir?: string): SimCa {
  const dir = key_dir ?? mkdtempSync(join(tmpdir(), 'upsim-keys-'));
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const present = (Object.keys(FILES) as CaFile[]).filter((k) => existsSync(join(dir, FILES[k])));
  if (present.length === Object.keys(FILES).length) {
    const pems = Object.fromEntries(
      (Object.keys(FILES) as CaFile[]).map((k) => [k, readFileSync(join(dir, FILES[k]), 'utf8')]),
    ) as Record<CaFile, string>;
    return complete(dir, pems);
  }
  if (present.length > 0) throw new Error(`simulator key dir ${dir} is incomplete; empty it to regenerate`);
  const pems = generate();
  for (const k of Object.keys(FILES) as CaFile[]) {
    // 'wx' refuses to overwrite what another process may have written meanwhile.
    writeFileSync(join(dir, FILES[k]), pems[k], { mode: 0o600, flag: 'wx' });
  }
  return complete(dir, pems);
}
