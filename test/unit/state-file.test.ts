import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { defaultTopology, type Topology } from '../../src/config/topology.js';
import { readState, readStateForStop, StateFileError, stateFile, writeState, type DemoState } from '../../src/runtime/state.js';
import { UserError } from '../../src/util/errors.js';

const root = mkdtempSync(join(tmpdir(), 'fd-state-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
function project(content?: unknown): string {
  const dir = join(root, `p${n++}`);
  if (content !== undefined) {
    mkdirSync(join(dir, '.failover-demo'), { recursive: true });
    writeFileSync(stateFile(dir), typeof content === 'string' ? content : JSON.stringify(content));
  }
  return dir;
}
const state = (topology: unknown): unknown => ({ runtime: 'local', topology, startedAt: '2026-01-01T00:00:00.000Z' });

function refusal(dir: string): StateFileError {
  try {
    readState(dir);
  } catch (err) {
    expect(err).toBeInstanceOf(StateFileError);
    expect(err).toBeInstanceOf(UserError);
    return err as StateFileError;
  }
  throw new Error('expected a StateFileError');
}

describe('state.json', () => {
  it('reads back what start wrote, keys in the same order (start compares topologies as JSON)', () => {
    const dir = project();
    const written: DemoState = { runtime: 'docker', topology: defaultTopology({}), configFile: '/x/c.yaml', startedAt: '2026-01-01T00:00:00.000Z' };
    writeState(dir, written);
    const read = readState(dir);
    expect(read).toEqual(written);
    expect(JSON.stringify(read)).toBe(JSON.stringify(written));
  });

  it('is no demo when the file is missing', () => {
    expect(readState(project())).toBeUndefined();
  });

  it('refuses a file from an older version with the key that is missing and the fix', () => {
    const { failover: _, ...old } = defaultTopology({});
    const err = refusal(project(state(old)));
    expect(err.message).toMatch(/state\.json cannot be used: it was written by another version of failover-demo, or is damaged: /);
    expect(err.message).toContain('topology.failover: expected a mapping of keys (policy, quorum, failback, failbackHoldMs,');
    expect(err.hint).toContain('`failover-demo stop`');
    expect(err.hint).toContain('delete .failover-demo/state.json');
  });

  it('names wrong values, unknown keys and clashes across keys, at most three of them', () => {
    const t = defaultTopology({}) as unknown as Record<string, Record<string, unknown>>;
    expect(refusal(project(state({ ...t, brokers: 0 }))).message).toContain('topology.brokers: expected a whole number from 1 to 9, got 0');
    expect(refusal(project(state({ ...t, healthCheck: { ...t.healthCheck, interval: '3s' } }))).message).toContain('topology.healthCheck.interval: unknown key');
    const clash: Topology = { ...defaultTopology({}), envoy: { ...defaultTopology({}).envoy, adminPort: 29093 } };
    expect(refusal(project(state(clash))).message).toContain('envoy.adminPort / redpanda.directPortBase: port 29093 is used twice');
    const many = refusal(project({ runtime: 'vm', topology: {}, startedAt: 5 })).message;
    expect(many).toContain('runtime: expected one of docker, local, got "vm"');
    expect(many).toMatch(/\(and \d+ more\)$/);
  });

  it('refuses a file that is not JSON', () => {
    expect(refusal(project('{"runtime": "lo')).message).toMatch(/cannot be used: it is not valid JSON \(/);
  });

  it('stop still reads the runtime and the readable part of the topology, the defaults elsewhere', () => {
    const { failover: _, ...old } = { ...defaultTopology({}), project: 'old-demo', local: { ...defaultTopology({}).local, basePort: 31000 } };
    const s = readStateForStop(project(state({ ...old, brokers: 'three' })), {});
    expect(s?.runtime).toBe('local');
    expect(s?.topology).toEqual({ ...defaultTopology({}), project: 'old-demo', local: { ...defaultTopology({}).local, basePort: 31000 } });
    expect(readStateForStop(project('not json'), {})).toBeUndefined();
    expect(readStateForStop(project({ topology: defaultTopology({}) }), {})).toBeUndefined();
    expect(readStateForStop(project(), {})).toBeUndefined();
  });
});
