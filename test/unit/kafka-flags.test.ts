import { describe, expect, it } from 'vitest';
import { defaultOnSwitch, parseBrokerList, parseInteger, parseMs, parseOnSwitch, parseRate, parseSeconds, parseStartPosition, parseTopic } from '../../src/cli/client-flags.js';
import { buildProgram } from '../../src/cli/program.js';
import { defaultTopology } from '../../src/config/topology.js';
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
    () => parseStartPosition('--from', 'committed'),
    () => parseOnSwitch('--on-switch', 'beginning'),
    () => parseOnSwitch('--on-switch', 'Committed'),
    () => parseBrokerList('--bootstrap', 'localhost'),
    () => parseTopic('--topic', 'bad topic'),
  ])('rejects bad value %#', (parse) => {
    expect(parse).toThrow(UserError);
  });

  it('names the flag and the value in the error', () => {
    expect(() => parseInteger('--count', 'x')).toThrow('--count must be a whole number >= 1, got "x"');
  });
});

describe('consume --on-switch', () => {
  it('accepts committed besides earliest and latest', () => {
    for (const v of ['committed', 'earliest', 'latest'] as const) expect(parseOnSwitch('--on-switch', v)).toBe(v);
    expect(() => parseOnSwitch('--on-switch', 'x')).toThrow('--on-switch must be "committed", "earliest" or "latest", got "x"');
  });

  it('defaults to committed when the demo replicates (replication.mode: shadow), else earliest', () => {
    const t = defaultTopology();
    expect(defaultOnSwitch({ ...t, replication: { ...t.replication, mode: 'shadow' } })).toBe('committed');
    expect(defaultOnSwitch(t)).toBe('earliest');
    expect(defaultOnSwitch(undefined)).toBe('earliest');
  });

  it('--help explains both defaults: synced offsets (duplicates, never gaps) and re-reading from the start', () => {
    const consume = buildProgram().commands.find((c) => c.name() === 'consume')!;
    const help = consume.helpInformation().replace(/\s+/g, ' ');
    expect(help).toContain('--on-switch <committed|earliest|latest>');
    expect(help).toContain('default: committed when the running demo replicates');
    expect(help).toContain('replication.syncInterval');
    expect(help).toContain('never gaps');
    expect(help).toMatch(/earliest: re-reads the new cluster from its start, for clusters that do not replicate/);
  });
});
