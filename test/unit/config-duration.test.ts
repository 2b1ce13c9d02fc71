import { describe, expect, it } from 'vitest';
import { envoyDuration, formatDuration, parseDuration } from '../../src/config/duration.js';

describe('durations', () => {
  it.each([
    ['3s', 3000],
    ['500ms', 500],
    ['0.5s', 500],
    ['.25s', 250],
    ['1.1s', 1100],
    ['1m', 60_000],
    ['2h', 7_200_000],
    [' 3s ', 3000],
    ['0s', 0],
  ])('parses %j as %i ms', (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });

  it.each(['3', '3000', 's', '3 secs', '-1s', '1.5ms', '0.0001s', '3d', ''])('rejects %j', (text) => {
    expect(parseDuration(text)).toBeUndefined();
  });

  it.each([
    [3000, '3s'],
    [500, '500ms'],
    [1500, '1.5s'],
    [60_000, '1m'],
    [90_000, '90s'],
    [0, '0s'],
  ])('formats %i ms as %j, which parses back', (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
    expect(parseDuration(text)).toBe(ms);
  });

  it('writes Envoy durations in seconds', () => {
    expect(envoyDuration(3000)).toBe('3s');
    expect(envoyDuration(500)).toBe('0.5s');
    expect(envoyDuration(10)).toBe('0.01s');
  });
});
