import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { brokersOf, defaultTopology } from '../../src/config/topology.js';
import { readRecoveryMode, recoveryModeOf, setRecoveryModeInFile, withRecoveryMode } from '../../src/config/redpanda-yaml-edit.js';
import { renderRedpandaYaml } from '../../src/render/redpanda.js';
import { UserError } from '../../src/util/errors.js';

// The input is what the real renderer writes for a broker (no hand-typed fixture).
const t = defaultTopology({});
const rendered = renderRedpandaYaml(t, brokersOf(t)[0]!, 'docker');

const dirs: string[] = [];
function tempFile(text: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'rp-edit-'));
  dirs.push(dir);
  const file = join(dir, 'redpanda.yaml');
  writeFileSync(file, text);
  return file;
}
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('withRecoveryMode', () => {
  it('flips only redpanda.recovery_mode_enabled, keeping comments and every other line', () => {
    expect(recoveryModeOf(rendered)).toBe(false);
    const on = withRecoveryMode(rendered, true);
    expect(recoveryModeOf(on)).toBe(true);
    const changed = on.split('\n').filter((line, i) => line !== rendered.split('\n')[i]);
    expect(changed).toEqual(['  recovery_mode_enabled: true']);
    expect(on.startsWith(rendered.split('\n')[0]!)).toBe(true); // header comment kept
    expect(withRecoveryMode(on, false)).toBe(rendered);
  });

  it('adds the key when the file does not have it, keeping user comments', () => {
    const text = '# my broker\nredpanda:\n  node_id: 0 # first\n';
    const on = withRecoveryMode(text, true);
    expect(on).toBe('# my broker\nredpanda:\n  node_id: 0 # first\n  recovery_mode_enabled: true\n');
  });

  it('treats only a literal true as recovery mode (as Redpanda does)', () => {
    expect(recoveryModeOf('redpanda:\n  recovery_mode_enabled: "true"\n')).toBe(false);
    expect(recoveryModeOf('redpanda:\n  recovery_mode_enabled: true\n')).toBe(true);
  });
});

describe('setRecoveryModeInFile', () => {
  it('edits the file in place and returns the previous value', () => {
    const file = tempFile(rendered);
    expect(setRecoveryModeInFile(file, true)).toBe(false);
    expect(readRecoveryMode(file)).toBe(true);
    expect(setRecoveryModeInFile(file, true)).toBe(true);
    expect(setRecoveryModeInFile(file, false)).toBe(true);
    expect(readFileSync(file, 'utf8')).toBe(rendered);
  });

  it('refuses bad YAML with a UserError naming the file, and leaves the file unchanged', () => {
    const bad = 'redpanda:\n  node_id: [0\n';
    const file = tempFile(bad);
    expect(() => setRecoveryModeInFile(file, true)).toThrow(UserError);
    expect(() => setRecoveryModeInFile(file, true)).toThrow(`${file} is not valid YAML`);
    expect(readFileSync(file, 'utf8')).toBe(bad);
  });

  it('refuses a YAML file without a redpanda section', () => {
    const file = tempFile('envoy: {}\n');
    expect(() => setRecoveryModeInFile(file, true)).toThrow('has no `redpanda:` section');
    expect(readFileSync(file, 'utf8')).toBe('envoy: {}\n');
  });

  it('names a missing file', () => {
    expect(() => setRecoveryModeInFile('/nonexistent/redpanda.yaml', true)).toThrow('cannot read /nonexistent/redpanda.yaml: ENOENT');
    expect(readRecoveryMode('/nonexistent/redpanda.yaml')).toBe(false);
  });
});
