/**
 * `stop --volumes` deletes data, so it must be confirmed: without a terminal to ask on, only --yes does it.
 * Runs the real CLI against a project whose state says a local demo was started (nothing is running, so
 * the local runtime's stop has nothing to kill) — no rig needed.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
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
