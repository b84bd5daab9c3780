import { describe, expect, it } from 'vitest';
import { SeededRandom } from '../../domain/random.ts';
import { FaultPlan } from './faults.ts';

describe('fault plan', () => {
  it('applies order rules before channel rules and retires counted ones', () => {
    const plan = new FaultPlan(new SeededRandom(1));
    plan.add({ kind: 'http_500', operation: 'query', times: 1 });
    plan.add({ kind: 'timeout', operation: '*', order: 'o-1', times: 2 });
    expect(plan.take('query', 'o-1').map((r) => r.kind)).toEqual(['timeout', 'http_500']);
    expect(plan.take('query', 'o-1').map((r) => r.kind)).toEqual(['timeout']);
    expect(plan.take('query', 'o-1')).toEqual([]);
    expect(plan.list()).toEqual([]);
  });

  it('draws probabilities from the seed, so a run replays exactly', () => {
    const draw = (seed: number) => {
      const plan = new FaultPlan(new SeededRandom(seed));
      plan.add({ kind: 'system_error', operation: 'create', probability: 0.3 });
      return Array.from({ length: 200 }, () => plan.take('create').length);
    };
    expect(draw(5)).toEqual(draw(5));
    const hits = draw(5).reduce((a, b) => a + b, 0);
    expect(hits).toBeGreaterThan(35);
    expect(hits).toBeLessThan(85);
  });

  it('refuses malformed rules with a message', () => {
    const plan = new FaultPlan(new SeededRandom(1));
    expect(() => plan.add({ kind: 'explode', operation: '*' })).toThrow(/kind must be one of/);
    expect(() => plan.add({ kind: 'timeout' })).toThrow(/operation/);
    expect(() => plan.add({ kind: 'timeout', operation: '*', probability: 2 })).toThrow(/probability/);
    expect(() => plan.add({ kind: 'latency_ms', operation: '*', latency_ms: -1 })).toThrow(/latency_ms/);
  });
});
