import { createPrivateKey, createPublicKey, generateKeyPairSync, X509Certificate } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { certSnOf, rootCertSnOf } from '../cert-sn.ts';

/**
 * The simulated Alipay's own key pair: its private half signs every reply and notification, its
 * public half is what apps configure as alipay_public_key_pem. Optionally a certificate for that
 * key and the root bundle it chains to, for apps in certificate mode (the simulator cannot issue
 * certificates itself: node has no X.509 writer; tests make them with the openssl CLI).
 *
 * Key file: JSON `{"private_key_pem"}` or a bare PEM private key. Generation uses node's CSPRNG,
 * not the injected Random (node cannot seed RSA key generation): pass a key file for a fixed key.
 */
export interface AlipayKeyPair {
  private_key_pem: string;
  public_key_pem: string;
}

export interface AlipayCerts {
  alipay_public_cert_pem: string;
  alipay_root_cert_pem: string;
}

export interface AlipayIdentity extends AlipayKeyPair {
  certs?: AlipayCerts & { alipay_cert_sn: string; alipay_root_cert_sn: string };
}

export function keyPairFromPrivatePem(private_key_pem: string): AlipayKeyPair {
  const key = createPrivateKey(private_key_pem);
  if (key.asymmetricKeyType !== 'rsa') throw new Error('the Alipay key must be an RSA private key');
  return {
    private_key_pem,
    public_key_pem: createPublicKey(key).export({ type: 'spki', format: 'pem' }).toString(),
  };
}

function generate(): AlipayKeyPair {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return keyPairFromPrivatePem(privateKey.export({ type: 'pkcs8', format: 'pem' }).toString());
}

function readKeyFile(file: string): AlipayKeyPair {
  const text = readFileSync(file, 'utf8');
  if (text.trimStart().startsWith('{')) {
    const parsed = JSON.parse(text) as { private_key_pem?: unknown };
    if (typeof parsed.private_key_pem !== 'string')
      throw new Error(`key file ${file} has no private_key_pem`);
    return keyPairFromPrivatePem(parsed.private_key_pem);
  }
  return keyPairFromPrivatePem(text);
}

/** Loads the key from `file`, or generates one (and writes it there, mode 0600, when a file is named). */
export function loadOrCreateAlipayKey(file?: string): AlipayKeyPair {
  if (file === undefined) return generate();
  try {
    return readKeyFile(file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  const key = generate();
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  try {
    // 'wx' refuses to overwrite: if another process created the file meanwhile, use its key.
    writeFileSync(file, `${JSON.stringify({ private_key_pem: key.private_key_pem }, null, 2)}\n`, {
      mode: 0o600,
      flag: 'wx',
    });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return readKeyFile(file);
    throw error;
  }
  return key;
}

/** The identity with its certificates checked: the public certificate must certify the key. */
export function identityOf(key: AlipayKeyPair, certs?: AlipayCerts): AlipayIdentity {
  if (!certs) return key;
  const cert = new X509Certificate(certs.alipay_public_cert_pem);
  if (!cert.publicKey.equals(createPublicKey(key.public_key_pem)))
    throw new Error('alipay_public_cert_pem does not certify the simulator key');
  return {
    ...key,
    certs: {
      ...certs,
      alipay_cert_sn: certSnOf(certs.alipay_public_cert_pem),
      alipay_root_cert_sn: rootCertSnOf(certs.alipay_root_cert_pem),
    },
  };
}
