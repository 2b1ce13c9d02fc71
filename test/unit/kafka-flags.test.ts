import { describe, expect, it } from 'vitest';
import { parseBrokerList, parseInteger, parseMs, parseRate, parseSeconds, parseStartPosition, parseTopic } from '../../src/cli/client-flags.js';
import { UserError } from '../../src/util/errors.js';

describe('client flag values', () => {
  it('accepts good values', () => {
    expect(parseInteger('--count', '5000')).toBe(5000);
    expect(parseRate('--rate', '0')).toBe(0);
    expect(parseRate('--rate', '12.5')).toBe(12.5);
    expect(parseSeconds('--duration', '30')).toBe(30_000);
    expect(parseSeconds('--duration', '2m')).toBe(120_000);
    expect(parseSeconds('--duration', '1.5')).toBe(1_500);
    expect(parseMs('--request-timeout', '5000')).toBe(5_000);
    expect(parseMs('--request-timeout', '5s')).toBe(5_000);
    expect(parseStartPosition('--on-switch', 'latest')).toBe('latest');
    expect(parseBrokerList('--bootstrap', '127.0.0.1:9092, localhost:9093')).toEqual(['127.0.0.1:9092', 'localhost:9093']);
    expect(parseTopic('--topic', 'test-topic')).toBe('test-topic');
  });

  it.each([
    () => parseInteger('--count', '0'),
    () => parseInteger('--count', '1e3'),
    () => parseInteger('--count', 'ten'),
    () => parseRate('--rate', '-1'),
    () => parseRate('--rate', ''),
    () => parseSeconds('--duration', '0'),
    () => parseSeconds('--duration', '10 minutes'),
    () => parseMs('--request-timeout', '50', 100),
    () => parseStartPosition('--on-switch', 'beginning'),
    () => parseBrokerList('--bootstrap', 'localhost'),
    () => parseTopic('--topic', 'bad topic'),
  ])('rejects bad value %#', (parse) => {
    expect(parse).toThrow(UserError);
  });

  it('names the flag and the value in the error', () => {
    expect(() => parseInteger('--count', 'x')).toThrow('--count must be a whole number >= 1, got "x"');
  });
});
