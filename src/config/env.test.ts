import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './env.ts';

describe('configuration from the environment', () => {
  it('takes the sync job rate, 32 checks a second unless set', () => {
    expect(loadConfig({}).sync_checks_per_s).toBe(32);
    expect(loadConfig({ PAYMUX_SYNC_CHECKS_PER_S: '200' }).sync_checks_per_s).toBe(200);
  });

  it('refuses a rate that is not a whole number in range, naming the variable', () => {
    for (const bad of ['0', '2001', '12.5', 'lots', '-3']) {
      expect(() => loadConfig({ PAYMUX_SYNC_CHECKS_PER_S: bad })).toThrow(ConfigError);
      expect(() => loadConfig({ PAYMUX_SYNC_CHECKS_PER_S: bad })).toThrow(
        /PAYMUX_SYNC_CHECKS_PER_S must be a whole number from 1 to 2000/,
      );
    }
  });
});
