import { describe, expect, it } from 'vitest';
import { urlSettingProblem } from './config-url.ts';

describe('urlSettingProblem', () => {
  it('accepts an http(s) URL with what is allowed, and says what is wrong otherwise', () => {
    expect(urlSettingProblem('https://api.example.com', {})).toBeNull();
    expect(urlSettingProblem('http://127.0.0.1:9000/', {})).toBeNull();
    expect(urlSettingProblem('https://x.example/gateway.do', { path: true })).toBeNull();
    expect(
      urlSettingProblem('https://x.example/a?b=1#c', { path: true, query: true, fragment: true }),
    ).toBeNull();
    expect(urlSettingProblem('not a url', { path: true })).toBe('must be an absolute http(s) URL');
    expect(urlSettingProblem('ftp://x.example', { path: true })).toBe('must be an absolute http(s) URL');
    expect(urlSettingProblem('https://u:p@x.example', { path: true, query: true })).toBe(
      'must not carry credentials',
    );
    expect(urlSettingProblem('https://x.example/v3', {})).toBe('must be an origin, without a path');
    expect(urlSettingProblem('https://x.example/a?b=1', { path: true })).toBe('must not carry a query');
    expect(urlSettingProblem('https://x.example/a#b', { path: true, query: true })).toBe(
      'must not carry a fragment',
    );
  });
});
