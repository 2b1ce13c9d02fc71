/**
 * `stop --volumes` deletes data, so it must be confirmed: without a terminal to ask on, only --yes does it.
 * Runs the real CLI against a project whose state says a local demo was started (nothing is running, so
 * the local runtime's stop has nothing to kill) — no rig needed.
 */
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { defaultTopology } from '../../src/config/topology.js';
import { stateFile, writeState } from '../../src/runtime/state.js';
import { runCli } from './rig.js';

const project = mkdtempSync(join(tmpdir(), 'failover-demo-lifecycle-'));
afterAll(() => rmSync(project, { recursive: true, force: true }));

describe('stop --volumes', () => {
  it('refuses without --yes when there is no terminal, and keeps the state', async () => {
    writeState(project, { runtime: 'local', topology: defaultTopology({}), startedAt: new Date().toISOString() });
    const r = await runCli(project, ['stop', '--volumes']);
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toMatch(/--yes/);
    expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
    expect(existsSync(stateFile(project))).toBe(true);
  });

  it('stops and forgets the demo with --yes, and is safe to run again', async () => {
    const r = await runCli(project, ['stop', '--volumes', '--yes']);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(existsSync(stateFile(project))).toBe(false);
    const again = await runCli(project, ['stop']);
    expect(again.exitCode).toBe(0);
    expect(again.stdout).toMatch(/nothing to stop/);
  });
});

describe('start: a setting Envoy rejects', () => {
  it('fails within seconds, before anything runs, with one line naming the setting and the fix', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'failover-demo-envoy-reject-'));
    try {
      // Within what the config validator allows, beyond what Envoy's own validation accepts.
      const config = join(dir, 'bad.yaml');
      writeFileSync(config, 'healthCheck:\n  timeout: 1000000000000s\nlocal:\n  basePort: 31000\nenvoy:\n  listenerPort: 31092\n  adminPort: 31901\nfailover:\n  controllerPort: 31902\n');
      const t0 = Date.now();
      const r = await runCli(dir, ['start', '--runtime', 'local', '--config', config]);
      expect(Date.now() - t0).toBeLessThan(5_000);
      expect(r.exitCode).toBe(1);
      const error = r.stderr.split('\n').filter((l) => l.startsWith('error: '));
      expect(error).toEqual(['error: Envoy rejects its configuration: static_resources.clusters[0].health_checks[0].timeout: duration out of range']);
      expect(r.stderr).toMatch(/^hint: check healthCheck\.timeout in your --config file/m);
      expect(r.stderr.length).toBeLessThan(600);
      // Nothing runs, nothing is recorded: `stop` has nothing to do and a fixed config starts from scratch.
      expect(existsSync(stateFile(dir))).toBe(false);
      expect(existsSync(join(dir, '.failover-demo', 'local', 'envoy', 'envoy.pid'))).toBe(false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
