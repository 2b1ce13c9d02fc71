/**
 * The message `start` (docker runtime) and `doctor` give when Docker itself cannot be used: it says so and
 * names `failover-demo start --runtime local`, which runs the demo without Docker. Built from check
 * results only (no Docker daemon is started, stopped or needed).
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { defaultTopology } from '../../src/config/topology.js';
import { dockerPreflight, localRuntimeNote, preflightError, type CheckResult } from '../../src/runtime/docker/preflight.js';
import { UserError } from '../../src/util/errors.js';

const ok = (name: string): CheckResult => ({ name, level: 'ok', detail: 'fine' });

const daemonDown: CheckResult = {
  name: 'Docker daemon',
  level: 'error',
  detail: 'cannot reach the Docker daemon at /var/run/docker.sock (no socket there)',
  fix: 'start the Docker daemon (Linux: `systemctl start docker`, or run `dockerd` as root; macOS/Windows: start Docker Desktop)',
};

describe('docker pre-flight message', () => {
  it('daemon unreachable: the error names the local runtime, and keeps the daemon problem and its fix', () => {
    const err = preflightError([ok('Docker CLI'), daemonDown, ok('Compose v2'), ok('ports'), ok('memory')]);
    expect(err).toBeInstanceOf(UserError);
    expect(err?.message).toContain('Docker daemon: cannot reach the Docker daemon at /var/run/docker.sock');
    expect(err?.message).toContain('Docker cannot be used here (Docker daemon failed)');
    expect(err?.message).toContain('`failover-demo start --runtime local`');
    expect(err?.hint).toContain('systemctl start docker');
  });

  it('docker CLI missing, or Compose missing: the same note', () => {
    const cli: CheckResult = { name: 'Docker CLI', level: 'error', detail: '`docker` was not found on PATH', fix: 'install Docker' };
    expect(preflightError([cli])?.message).toContain('--runtime local');
    const compose: CheckResult = { name: 'Compose v2', level: 'error', detail: '`docker compose` is not available', fix: 'install it' };
    expect(preflightError([ok('Docker CLI'), ok('Docker daemon'), compose])?.message).toMatch(/Docker cannot be used here \(Compose v2 failed\).*--runtime local/);
  });

  it('doctor shows the same note (one builder for both commands)', () => {
    const note = localRuntimeNote([ok('Docker CLI'), daemonDown]);
    expect(note).toContain('failover-demo start --runtime local');
    expect(preflightError([ok('Docker CLI'), daemonDown])?.message).toContain(note!);
  });

  it('Docker usable but a port taken: no local-runtime note (switching runtime would not help)', () => {
    const port: CheckResult = { name: 'port 9901', level: 'error', detail: '127.0.0.1:9901 (Envoy admin API) is already in use', fix: 'stop it' };
    expect(localRuntimeNote([ok('Docker CLI'), ok('Docker daemon'), ok('Compose v2'), port])).toBeUndefined();
    expect(preflightError([ok('Docker CLI'), ok('Docker daemon'), port])?.message).not.toContain('--runtime local');
    expect(preflightError([ok('Docker CLI'), ok('Docker daemon'), ok('Compose v2')])).toBeUndefined();
  });

  it('real checks against a socket that does not exist: the daemon (or the CLI) fails and the note is there', async () => {
    const socket = join(mkdtempSync(join(tmpdir(), 'no-docker-')), 'docker.sock');
    const results = await dockerPreflight(defaultTopology({}), { env: { ...process.env, DOCKER_HOST: `unix://${socket}` }, skipPorts: true });
    expect(results.some((r) => r.level === 'error' && (r.name === 'Docker daemon' || r.name === 'Docker CLI'))).toBe(true);
    expect(preflightError(results)?.message).toContain('failover-demo start --runtime local');
  });
});
