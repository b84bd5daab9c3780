import { describe, expect, it } from 'vitest';
import { hashPair, IdTable } from './id-table.ts';

describe('IdTable', () => {
  it('finds what was added across growth, and only that', () => {
    const table = new IdTable();
    for (let i = 0; i < 50_000; i++) table.add(`ppay_${i}`, i);
    expect(table.size).toBe(50_000);
    for (let i = 0; i < 50_000; i += 997) expect(table.find(`ppay_${i}`)?.amount_fen).toBe(i);
    expect(table.find('ppay_50000')).toBeNull();
    expect(table.find('rpay_1')).toBeNull();
  });

  it('remembers which entries were seen', () => {
    const table = new IdTable();
    table.add('pa', 1);
    const hit = table.find('pa')!;
    expect(hit.seen).toBe(false);
    table.markSeen(hit.slot);
    expect(table.find('pa')!.seen).toBe(true);
    table.add('pb', 2, true);
    expect(table.find('pb')!.seen).toBe(true);
  });

  it('hashes nearby ids apart', () => {
    expect(hashPair('pay_1')).not.toEqual(hashPair('pay_2'));
    expect(hashPair('pay_1')[1]).not.toBe(hashPair('pay_1')[0]);
  });
});
