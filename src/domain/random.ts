import { randomBytes } from 'node:crypto';

/**
 * Randomness is injected like time: ids, nonces and fault simulations take a Random so a seeded run
 * replays exactly. Production uses the operating system's CSPRNG; only tests and simulations seed.
 */
export interface Random {
  bytes(length: number): Buffer;
}

/** Bytes drawn from the operating system's CSPRNG at once, handed out in order and never twice. */
const POOL_BYTES = 4096;
/** A request larger than this is drawn on its own. */
const POOLED_MAX_BYTES = 256;

/**
 * The CSPRNG, drawn in blocks: each draw costs about 6 µs whatever its size up to a few KiB, and a
 * payment takes four or five small ones (ids, nonces), so one draw serves a few hundred. Every
 * byte is copied out once and the block is refilled only when used up, so no two callers ever see
 * the same bytes.
 */
class PooledSecureRandom implements Random {
  private pool = Buffer.alloc(0);
  private offset = 0;
  bytes(length: number): Buffer {
    if (length > POOLED_MAX_BYTES) return randomBytes(length);
    if (this.offset + length > this.pool.length) {
      this.pool = randomBytes(POOL_BYTES);
      this.offset = 0;
    }
    const out = Buffer.from(this.pool.subarray(this.offset, this.offset + length));
    // Used bytes are wiped, so even the pool holds each value only in the one copy handed out.
    this.pool.fill(0, this.offset, this.offset + length);
    this.offset += length;
    return out;
  }
}

export const secureRandom: Random = new PooledSecureRandom();

/** xoshiro128** seeded through splitmix32: small, fast, good enough for replayable simulations. */
export class SeededRandom implements Random {
  private s: Uint32Array;
  constructor(seed: number) {
    let x = seed >>> 0;
    const next = () => {
      x = (x + 0x9e3779b9) >>> 0;
      let z = x;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
      return (z ^ (z >>> 16)) >>> 0;
    };
    this.s = new Uint32Array([next(), next(), next(), next()]);
  }
  nextUint32(): number {
    const s = this.s;
    const result = Math.imul(rotl(Math.imul(s[1]!, 5) >>> 0, 7), 9) >>> 0;
    const t = (s[1]! << 9) >>> 0;
    s[2]! ^= s[0]!;
    s[3]! ^= s[1]!;
    s[1]! ^= s[2]!;
    s[0]! ^= s[3]!;
    s[2]! ^= t;
    s[3] = rotl(s[3]!, 11);
    return result;
  }
  /** A float in [0, 1). */
  nextFloat(): number {
    return this.nextUint32() / 0x1_0000_0000;
  }
  bytes(length: number): Buffer {
    const out = Buffer.alloc(length);
    for (let i = 0; i < length; i++) out[i] = this.nextUint32() & 0xff;
    return out;
  }
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}

const ALPHANUMERIC = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/** A nonce of [A-Za-z0-9], as the channels use (WeChat Pay's SDKs send 32 such characters). */
export function alphanumericNonce(random: Random, length = 32): string {
  const bytes = random.bytes(length);
  let out = '';
  // 248 = 62 * 4: bytes at or above it are re-drawn so every character is equally likely.
  for (let i = 0; i < length; i++) {
    let b = bytes[i]!;
    let guard = 0;
    while (b >= 248 && guard++ < 16) b = random.bytes(1)[0]!;
    out += ALPHANUMERIC[b % 62];
  }
  return out;
}
