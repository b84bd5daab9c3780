import { describe, expect, it } from 'vitest';
import { ManualClock } from './clock.ts';
import { DELIVERY_ATTEMPTS_MAX, DELIVERY_DELAYS_MS, nextDeliveryAt } from './delivery-schedule.ts';
import { AppError, ERROR_CATALOGUE, errorBody } from './errors.ts';
import { isId, newId, ulid } from './ids.ts';
import { fenToYuan, paymentAmountProblem, yuanToFen } from './money.ts';
import {
  canTransition,
  decide,
  isTerminal,
  PAYMENT_STATES,
  TRANSITIONS,
  transition,
} from './payment-state.ts';
import { alphanumericNonce, SeededRandom, secureRandom } from './random.ts';

describe('money', () => {
  it('accepts whole fen from 1 to 10^10 and names what is wrong otherwise', () => {
    expect(paymentAmountProblem(1)).toBeNull();
    expect(paymentAmountProblem(10_000_000_000)).toBeNull();
    expect(paymentAmountProblem(0)).toBe('too_small');
    expect(paymentAmountProblem(-5)).toBe('too_small');
    expect(paymentAmountProblem(1.5)).toBe('not_integer');
    expect(paymentAmountProblem('100')).toBe('not_integer');
    expect(paymentAmountProblem(Number.NaN)).toBe('not_integer');
    expect(paymentAmountProblem(10_000_000_001)).toBe('too_large');
    expect(paymentAmountProblem(2 ** 60)).toBe('not_integer');
  });

  it('converts between fen and yuan exactly, including values floats get wrong', () => {
    expect(fenToYuan(1)).toBe('0.01');
    expect(fenToYuan(10)).toBe('0.10');
    expect(fenToYuan(10_000_000_000)).toBe('100000000.00');
    expect(fenToYuan(-1999)).toBe('-19.99');
    expect(yuanToFen('0.01')).toBe(1);
    expect(yuanToFen('1.1')).toBe(110);
    // 0.1 + 0.2 and 1.005 * 100 are the classic float traps.
    expect(yuanToFen('0.30')).toBe(30);
    expect(yuanToFen('1.005')).toBeNull();
    expect(yuanToFen('100000000.00')).toBe(10_000_000_000);
    expect(yuanToFen('1e3')).toBeNull();
    expect(yuanToFen('-1.00')).toBeNull();
    expect(yuanToFen('01.00')).toBeNull();
    for (let fen = 0; fen < 2000; fen += 7) expect(yuanToFen(fenToYuan(fen))).toBe(fen);
  });
});

describe('ids', () => {
  it('are prefixed, 26 Crockford characters, and sort by time', () => {
    const clock = new ManualClock(1_700_000_000_000);
    const random = new SeededRandom(1);
    const a = newId('payment', clock, random);
    clock.advance(1);
    const b = newId('payment', clock, random);
    expect(a).toMatch(/^pay_[0-9A-HJKMNP-TV-Z]{26}$/);
    expect(isId('payment', a)).toBe(true);
    expect(isId('merchant', a)).toBe(false);
    expect(a < b).toBe(true);
    expect(ulid(0, new SeededRandom(2)).slice(0, 10)).toBe('0000000000');
  });

  it('replay exactly from a seed', () => {
    const clock = new ManualClock(1_700_000_000_000);
    expect(newId('event', clock, new SeededRandom(42))).toBe(newId('event', clock, new SeededRandom(42)));
    expect(newId('event', clock, new SeededRandom(42))).not.toBe(newId('event', clock, new SeededRandom(43)));
  });
});

describe('random', () => {
  it('the secure source hands out fresh bytes across its pool refills, and large draws whole', () => {
    const seen = new Set<string>();
    let total_bytes = 0;
    // 600 draws of 16 bytes span two refills of the 4 KiB pool.
    for (let i = 0; i < 600; i++) {
      const b = secureRandom.bytes(16);
      expect(b.length).toBe(16);
      total_bytes += b.length;
      seen.add(b.toString('hex'));
    }
    expect(total_bytes).toBeGreaterThan(8192);
    expect(seen.size).toBe(600);
    const first = secureRandom.bytes(8);
    const copy = Buffer.from(first);
    for (let i = 0; i < 600; i++) secureRandom.bytes(16);
    // A handed-out buffer is the caller's own: refilling the pool does not change it.
    expect(first.equals(copy)).toBe(true);
    const large = secureRandom.bytes(10_000);
    expect(large.length).toBe(10_000);
    // Not all zero, and bytes spread out: 10,000 uniform bytes hit nearly all 256 values.
    expect(new Set(large).size).toBeGreaterThan(250);
  });

  it('gives alphanumeric nonces of the asked length', () => {
    const nonce = alphanumericNonce(new SeededRandom(7), 32);
    expect(nonce).toMatch(/^[A-Za-z0-9]{32}$/);
  });
  it('spreads seeded floats over [0, 1)', () => {
    const r = new SeededRandom(9);
    let low = 0;
    for (let i = 0; i < 10_000; i++) {
      const f = r.nextFloat();
      expect(f).toBeGreaterThanOrEqual(0);
      expect(f).toBeLessThan(1);
      if (f < 0.5) low++;
    }
    expect(low).toBeGreaterThan(4_700);
    expect(low).toBeLessThan(5_300);
  });
});

describe('payment state machine', () => {
  it('has terminal states that go nowhere, and never leaves SUCCESS', () => {
    for (const s of ['SUCCESS', 'FAILED', 'CLOSED', 'REVERSED'] as const) {
      expect(isTerminal(s)).toBe(true);
      for (const t of PAYMENT_STATES) expect(canTransition(s, t)).toBe(false);
    }
    expect(() => transition('SUCCESS', 'CLOSED')).toThrow(/illegal payment transition/);
  });

  it('lists every state', () => {
    expect(Object.keys(TRANSITIONS).sort()).toEqual([...PAYMENT_STATES].sort());
  });

  it('moves forward on channel words and ignores stale or empty ones', () => {
    expect(decide('PENDING', 'PAID')).toEqual({ kind: 'move', to: 'SUCCESS' });
    expect(decide('CREATED', 'PAID')).toEqual({ kind: 'move', to: 'SUCCESS' });
    expect(decide('UNKNOWN', 'NOT_PAID')).toEqual({ kind: 'move', to: 'PENDING' });
    expect(decide('SUCCESS', 'PAID')).toEqual({ kind: 'stay' });
    expect(decide('SUCCESS', 'NOT_PAID')).toEqual({ kind: 'stay' });
    expect(decide('SUCCESS', 'CLOSED')).toEqual({ kind: 'stay' });
    expect(decide('PENDING', 'NOT_FOUND')).toEqual({ kind: 'stay' });
    expect(decide('PENDING', 'UNKNOWN')).toEqual({ kind: 'stay' });
    expect(decide('PENDING', 'CLOSED')).toEqual({ kind: 'move', to: 'CLOSED' });
  });

  it('never turns a success after an end into a silent drop', () => {
    expect(decide('CLOSED', 'PAID')).toEqual({ kind: 'paid_after_end', state: 'CLOSED' });
    expect(decide('REVERSED', 'PAID')).toEqual({ kind: 'paid_after_end', state: 'REVERSED' });
    expect(decide('FAILED', 'PAID')).toEqual({ kind: 'paid_after_end', state: 'FAILED' });
  });
});

describe('merchant notification schedule', () => {
  it('spans at least three days and then stops', () => {
    const total = DELIVERY_DELAYS_MS.reduce((a, b) => a + b, 0);
    expect(total).toBeGreaterThanOrEqual(3 * 24 * 3600_000);
    expect(nextDeliveryAt(1000, 0)).toBe(1000);
    expect(nextDeliveryAt(1000, 1)).toBe(1000 + 15_000);
    expect(nextDeliveryAt(0, DELIVERY_ATTEMPTS_MAX - 1)).toBe(total);
    expect(nextDeliveryAt(0, DELIVERY_ATTEMPTS_MAX)).toBeNull();
  });
});

describe('error catalogue', () => {
  it('gives each code a status, a message and a doc link', () => {
    for (const [code, entry] of Object.entries(ERROR_CATALOGUE)) {
      expect(entry.status).toBeGreaterThanOrEqual(400);
      expect(entry.message.length).toBeGreaterThan(10);
      const body = errorBody(new AppError(code as keyof typeof ERROR_CATALOGUE));
      expect(body.error.doc_url).toContain(`#${code.toLowerCase()}`);
    }
  });
});

describe('docs/errors.md', () => {
  it('lists every code of the catalogue', async () => {
    const { readFileSync } = await import('node:fs');
    const doc = readFileSync(new URL('../../docs/errors.md', import.meta.url), 'utf8');
    for (const code of Object.keys(ERROR_CATALOGUE)) expect(doc).toContain(`\`${code}\``);
  });
});
