import { describe, expect, it } from 'vitest';
import { channelMsOfServerTiming, channelServerTiming } from './server-timing.ts';

describe('Server-Timing', () => {
  it('reads back the channel time it wrote, among other metrics or none', () => {
    const value = channelServerTiming({ elapsed_ms: 12.3456, exchanges: 2 });
    expect(value).toBe('channel;dur=12.346');
    expect(channelMsOfServerTiming(value)).toBe(12.346);
    expect(channelMsOfServerTiming(`app;dur=3, ${value}`)).toBe(12.346);
    expect(channelMsOfServerTiming(undefined)).toBeNaN();
    expect(channelMsOfServerTiming('app;dur=3')).toBeNaN();
    expect(channelMsOfServerTiming('xchannel;dur=5')).toBeNaN();
  });
});
