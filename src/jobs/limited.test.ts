import { describe, expect, it } from 'vitest';
import { forEachLimited } from './limited.ts';

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('forEachLimited', () => {
  it('runs every item, never more than the limit at once', async () => {
    let running = 0;
    let peak = 0;
    const done: number[] = [];
    await forEachLimited([1, 2, 3, 4, 5, 6, 7], 3, async (n) => {
      running += 1;
      peak = Math.max(peak, running);
      for (let i = 0; i < n % 3; i++) await tick();
      done.push(n);
      running -= 1;
    });
    expect(peak).toBe(3);
    expect(done.sort()).toEqual([1, 2, 3, 4, 5, 6, 7]);
  });

  it('starts nothing new after a failure, and rejects with it once the running ones end', async () => {
    const started: number[] = [];
    let ended = 0;
    const run = forEachLimited([1, 2, 3, 4, 5], 2, async (n) => {
      started.push(n);
      await tick();
      ended += 1;
      if (n === 1) throw new Error('item 1 failed');
    });
    await expect(run).rejects.toThrow('item 1 failed');
    expect(started).toEqual([1, 2]);
    expect(ended).toBe(2);
  });

  it('handles an empty list and refuses a limit below one', async () => {
    await forEachLimited([], 4, async () => {
      throw new Error('not called');
    });
    await expect(forEachLimited([1], 0, async () => {})).rejects.toThrow(/at least 1/);
  });
});
