/**
 * The index of our day's records that a bill is matched against, kept compact so a day of
 * millions of payments fits in tens of megabytes: each record is a 64-bit hash of its kind and
 * id (two independent 32-bit string hashes), its amount in fen, and flags — about 17 bytes a slot
 * at a load of at most one half, instead of a few hundred bytes for a Map of strings to objects.
 *
 * Two different ids share a 64-bit hash with a chance of about n²/2⁶⁵ (3·10⁻⁸ for a million); a
 * hit is also checked against the amount, so a collision would have to hit the same amount too.
 */
export const ID_TABLE_ENTRIES_MAX = 50_000_000;
const INITIAL_CAPACITY = 1 << 12;

const OCCUPIED = 1;
const SEEN = 2;

export interface TableHit {
  slot: number;
  amount_fen: number;
  seen: boolean;
}

/** FNV-1a and a multiply-rotate hash over the UTF-16 code units, in one pass. */
export function hashPair(text: string): [number, number] {
  let a = 0x811c9dc5;
  let b = 0x9747b28c;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    a = Math.imul(a ^ c, 0x01000193);
    b = Math.imul(b ^ c, 0x5bd1e995);
    b = (b << 13) | (b >>> 19);
  }
  // Final avalanche so nearby ids spread over the table.
  b = Math.imul(b ^ (b >>> 16), 0x85ebca6b);
  b ^= b >>> 13;
  return [a >>> 0, b >>> 0];
}

export class IdTable {
  #capacity = INITIAL_CAPACITY;
  #size = 0;
  #hi = new Uint32Array(INITIAL_CAPACITY);
  #lo = new Uint32Array(INITIAL_CAPACITY);
  #amount_fen = new Float64Array(INITIAL_CAPACITY);
  #flags = new Uint8Array(INITIAL_CAPACITY);

  get size(): number {
    return this.#size;
  }

  /** Adds a key (kind letter + id) with its amount; a key already there keeps its first amount. */
  add(key: string, amount_fen: number, seen = false): void {
    if (this.#size >= ID_TABLE_ENTRIES_MAX)
      throw new Error(`more than ${ID_TABLE_ENTRIES_MAX} records in a day`);
    if ((this.#size + 1) * 2 > this.#capacity) this.#grow();
    const [hi, lo] = hashPair(key);
    const slot = this.#probe(hi, lo);
    if (this.#flags[slot]! & OCCUPIED) {
      if (seen) this.#flags[slot]! |= SEEN;
      return;
    }
    this.#place(slot, hi, lo, amount_fen, seen ? OCCUPIED | SEEN : OCCUPIED);
    this.#size++;
  }

  find(key: string): TableHit | null {
    const [hi, lo] = hashPair(key);
    const slot = this.#probe(hi, lo);
    const flags = this.#flags[slot]!;
    if (!(flags & OCCUPIED)) return null;
    return { slot, amount_fen: this.#amount_fen[slot]!, seen: (flags & SEEN) !== 0 };
  }

  markSeen(slot: number): void {
    this.#flags[slot]! |= SEEN;
  }

  /** The slot holding (hi, lo), or the empty slot where it would go (linear probing). */
  #probe(hi: number, lo: number): number {
    const mask = this.#capacity - 1;
    let slot = lo & mask;
    // The load is at most one half, so an empty slot is always found within capacity steps.
    for (let step = 0; step < this.#capacity; step++) {
      if (!(this.#flags[slot]! & OCCUPIED)) return slot;
      if (this.#hi[slot] === hi && this.#lo[slot] === lo) return slot;
      slot = (slot + 1) & mask;
    }
    throw new Error('id table is full');
  }

  #place(slot: number, hi: number, lo: number, amount_fen: number, flags: number): void {
    this.#hi[slot] = hi;
    this.#lo[slot] = lo;
    this.#amount_fen[slot] = amount_fen;
    this.#flags[slot] = flags;
  }

  #grow(): void {
    const old = { hi: this.#hi, lo: this.#lo, amount_fen: this.#amount_fen, flags: this.#flags };
    const old_capacity = this.#capacity;
    this.#capacity *= 2;
    this.#hi = new Uint32Array(this.#capacity);
    this.#lo = new Uint32Array(this.#capacity);
    this.#amount_fen = new Float64Array(this.#capacity);
    this.#flags = new Uint8Array(this.#capacity);
    for (let i = 0; i < old_capacity; i++) {
      if (!(old.flags[i]! & OCCUPIED)) continue;
      const slot = this.#probe(old.hi[i]!, old.lo[i]!);
      this.#place(slot, old.hi[i]!, old.lo[i]!, old.amount_fen[i]!, old.flags[i]!);
    }
  }
}
