import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Chalk } from 'chalk';
import { describe, expect, it } from 'vitest';
import { routingFromClusters, lbSettingsFromConfigDump, newConnections } from '../../src/envoy/routing.js';
import { clip, clock, colors, screenLines, snapshotLines, summaryLine } from '../../src/cli/routing-screen.js';
import { adminUrlFor, parseIntervalMs } from '../../src/cli/commands/routing.js';
import { defaultTopology } from '../../src/config/topology.js';
import { UserError } from '../../src/util/errors.js';

const DIR = join(import.meta.dirname, '..', 'fixtures', 'envoy');
const json = (f: string) => JSON.parse(readFileSync(join(DIR, f), 'utf8'));
function snapshot(state: string, at = Date.UTC(2026, 0, 1, 12, 0, 0, 7)) {
  const fx = json(`${state}.json`);
  const panic = fx.capture.topologyFile.replace(/^topology\.|\.json$/g, '');
  return routingFromClusters(fx.clusters, json(fx.capture.topologyFile), at, { lb: lbSettingsFromConfigDump(json(`config-dump.${panic}.json`).configDump) });
}
const plain = new Chalk({ level: 0 });
// eslint-disable-next-line no-control-regex
const ANSI = /\u001b\[/;

describe('routing screen', () => {
  it('warns prominently on split and on no route, not when healthy', () => {
    expect(snapshotLines(snapshot('healthy'), plain)[0]).toMatch(/^ROUTING: PRIMARY/);
    const split = snapshotLines(snapshot('split-primary-0-down'), plain).join('\n');
    expect(split).toContain('⚠ SPLIT ROUTING');
    expect(split).toContain('0→secondary 1→primary 2→primary');
    const none = snapshotLines(snapshot('both-down'), plain).join('\n');
    expect(none).toContain('✖ NO ROUTE');
    expect(none).toContain('listener 0, listener 1, listener 2: no healthy upstream');
    expect(snapshotLines(snapshot('panic50-both-down'), plain).join('\n')).toContain('unhealthy hosts (panic routing)');
  });

  it('shows cluster health n/N, per-host flags, load and connections', () => {
    const text = snapshotLines(snapshot('primary-0-hung'), plain).join('\n');
    expect(text).toContain('primary 2/3 healthy');
    expect(text).toContain('secondary 3/3 healthy');
    expect(text).toMatch(/listener 0 +secondary \(secondary-broker-0\) +primary-broker-0 +P0 +failed active health check \(timeout\) +0% +0/);
  });

  it('event log lines carry millisecond timestamps', () => {
    const at = new Date(2026, 0, 1, 9, 5, 3, 42).getTime();
    expect(clock(at)).toBe('09:05:03.042');
    const lines = screenLines({ adminUrl: 'http://x', intervalMs: 1000, events: [{ at, kind: 'routing', message: 'listener 0: moved' }], now: at }, plain);
    expect(lines).toContain('  09:05:03.042  listener 0: moved');
    expect(summaryLine(snapshot('healthy', at), plain)).toBe('09:05:03.042  primary · healthy primary 3/3, secondary 3/3 · 0→primary-broker-0 1→primary-broker-1 2→primary-broker-2');
  });

  it('keeps the stale snapshot under a read error', () => {
    const s = snapshot('healthy');
    const lines = screenLines({ adminUrl: 'http://x', intervalMs: 1000, snapshot: s, events: [], error: { at: s.at, message: 'Envoy admin unreachable at http://x/clusters (connection refused), retrying' }, now: s.at }, plain);
    expect(lines.join('\n')).toMatch(/Envoy admin unreachable .* retrying[\s\S]*ROUTING: PRIMARY[\s\S]*\(last read at/);
  });

  it('counts connections Envoy opened between two reads (cx_total), flagged when they went to an unhealthy host', () => {
    const before = snapshot('both-down');
    const after = structuredClone(before);
    after.listeners[0]!.hosts[0]!.totalConnections = (before.listeners[0]!.hosts[0]!.totalConnections ?? 0) + 3;
    expect(newConnections(before, after).get(`broker_0_cluster|primary-broker-0|${before.listeners[0]!.hosts[0]!.address}`)).toBe(3);
    expect(newConnections(undefined, after).size).toBe(0);
    const row = snapshotLines(after, plain, before).find((l) => l.startsWith('listener 0'))!;
    expect(row).toMatch(/primary-broker-0 .* \+3$/);
    expect(snapshotLines(after, new Chalk({ level: 1 }), before).join('\n')).toContain('\u001b[31m\u001b[1m   +3');
  });

  it('respects NO_COLOR', () => {
    const text = snapshotLines(snapshot('split-primary-0-down'), colors({ NO_COLOR: '1', FORCE_COLOR: '3' })).join('\n');
    expect(text).not.toMatch(ANSI);
    expect(snapshotLines(snapshot('split-primary-0-down'), new Chalk({ level: 1 })).join('\n')).toMatch(ANSI);
  });

  it('clips lines to the terminal width without cutting colour codes', () => {
    const c = new Chalk({ level: 1 });
    const line = `${c.red('abcdef')}ghij`;
    const clipped = clip(line, 4);
    expect(clipped.replace(/\u001b\[[0-9;]*m/g, '')).toBe('abcd');
    expect(clipped.endsWith('\u001b[0m')).toBe(true);
    expect(clip('héllo → x', 7)).toBe('héllo →');
  });
});

describe('routing flags', () => {
  it('accepts a positive whole number of milliseconds only', () => {
    expect(parseIntervalMs('250')).toBe(250);
    for (const bad of ['0', '-5', '1.5', '1s', '', '99999999']) expect(() => parseIntervalMs(bad)).toThrow(UserError);
  });

  it("defaults the admin URL to the demo's admin port on loopback, and checks --admin", () => {
    const t = defaultTopology();
    expect(adminUrlFor(undefined, t)).toBe('http://127.0.0.1:9901');
    expect(adminUrlFor(undefined, { ...t, bindAddress: '0.0.0.0' })).toBe('http://127.0.0.1:9901');
    expect(adminUrlFor('http://127.0.0.1:22901/', t)).toBe('http://127.0.0.1:22901');
    expect(adminUrlFor('127.0.0.1:9901', t)).toBe('http://127.0.0.1:9901');
    expect(() => adminUrlFor('ftp://127.0.0.1:9901', t)).toThrow(/not an http\(s\) URL/);
    expect(() => adminUrlFor('not a url', t)).toThrow(/not a URL/);
  });
});
