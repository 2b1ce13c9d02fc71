/**
 * The built CLI ends on its own once its command has finished: nothing it opened (a socket, a timer, a
 * child process, a spinner) keeps it alive. Runs `node bin/failover-demo.js` for the commands that need
 * no running demo, with the forced exit of src/cli/main.ts turned off (FAILOVER_DEMO_NO_FORCED_EXIT=1)
 * and its debug log on, which says when the command finished and, if it lingers, what is still open.
 * Builds dist/ first when src/ is newer.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, statSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HARD_LIMIT_MS, LINGER_LIMIT_MS, runCliUnforced, type LingerRun } from '../support/cli-unforced.js';

const ROOT = join(import.meta.dirname, '..', '..');
const ENTRY = join(ROOT, 'dist', 'cli', 'main.js');

function buildIfStale(): void {
  const newest = (readdirSync(join(ROOT, 'src'), { recursive: true }) as string[])
    .filter((f) => f.endsWith('.ts'))
    .reduce((max, f) => Math.max(max, statSync(join(ROOT, 'src', f)).mtimeMs), 0);
  if (existsSync(ENTRY) && statSync(ENTRY).mtimeMs >= newest) return;
  execFileSync(process.execPath, [join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.build.json'], { cwd: ROOT, stdio: 'inherit' });
}

type Run = LingerRun;
const runCli = runCliUnforced;

let project: string;
beforeAll(() => {
  buildIfStale();
  project = mkdtempSync(join(tmpdir(), 'failover-demo-exits-'));
  // doctor's port checks bind each port a moment: a range no default and no other test uses.
  writeFileSync(join(project, 'doctor.yaml'), 'brokers: 1\nenvoy: { adminPort: 43901, listenerPort: 43092, hostListenerPort: 43192 }\nlocal: { basePort: 43200 }\nfailover: { controllerPort: 43902 }\n');
}, 120_000);
afterAll(() => rmSync(project, { recursive: true, force: true }));

describe('the built CLI exits on its own, without the forced exit', () => {
  it.each([
    { command: '--help', code: 0, out: /Usage: failover-demo/ },
    { command: 'nosuch', code: 1, out: /^$/ },
    { command: 'config', code: 0, out: /^brokers: 3$/m },
    { command: 'config --json', code: 0, out: /"brokers": 3/ },
    { command: 'timing', code: 0, out: /Envoy health check/ },
    { command: 'timing --json', code: 0, out: /"healthCheck"/ },
    { command: 'render --out rendered', code: 0, out: /wrote {3}docker-compose\.yml/ },
    { command: 'status', code: 0, out: /no demo was started/ },
    { command: 'status --json', code: 0, out: /"running":false/ },
    { command: 'stop', code: 0, out: /nothing to stop/ },
    { command: 'produce --count 0', code: 1, out: /^$/ },
    { command: 'routing --once --admin http://127.0.0.1:1', code: 1, out: /^$/ },
    { command: 'doctor --runtime local --json --config doctor.yaml', code: [0, 1], out: /"runtime": "local"/ },
  ])('$command', async ({ command, code, out }) => {
    const r = await runCli(project, command.split(' '));
    const context = `stderr:\n${r.stderr}`;
    expect(r.signal, `killed after ${HARD_LIMIT_MS} ms: it did not exit on its own\n${context}`).toBeNull();
    expect(Array.isArray(code) ? code : [code], context).toContain(r.code);
    expect(r.stdout).toMatch(out);
    expect(r.lingerMs, context).toBeDefined();
    expect(r.lingerMs!, context).toBeLessThan(LINGER_LIMIT_MS);
    expect(r.stderr).toContain('(debug): exited on its own');
  }, HARD_LIMIT_MS + 15_000);
});

describe('a reader that closes the pipe early', () => {
  it('ends the CLI quietly with its exit code (no EPIPE crash), as `failover-demo config --reference | head -1` does', async () => {
    const { spawn } = await import('node:child_process');
    const child = spawn(process.execPath, [join(ROOT, 'bin', 'failover-demo.js'), 'config', '--reference'], { cwd: project, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += String(d)));
    // Close our end before it writes: its writes hit a closed pipe.
    child.stdout.destroy();
    const code = await new Promise<number | null>((resolve) => child.once('close', (c) => resolve(c)));
    expect(stderr).not.toMatch(/EPIPE|Unhandled|at .*\.js/);
    expect(code).toBe(0);
  }, 30_000);
});
