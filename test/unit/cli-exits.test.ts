/**
 * The built CLI ends on its own once its command has finished: nothing it opened (a socket, a timer, a
 * child process, a spinner) keeps it alive. Runs `node bin/failover-demo.js` for the commands that need
 * no running demo, with the forced exit of src/cli/main.ts turned off (FAILOVER_DEMO_NO_FORCED_EXIT=1)
 * and its debug log on, which says when the command finished and, if it lingers, what is still open.
 * Builds dist/ first when src/ is newer.
 */
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, statSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..', '..');
const ENTRY = join(ROOT, 'dist', 'cli', 'main.js');
/** From "command finished" to the process's end, on a busy machine. */
const LINGER_LIMIT_MS = 3_000;
/** A run that has not ended by then is killed (and the test fails with what was still open). */
const HARD_LIMIT_MS = 45_000;

function buildIfStale(): void {
  const newest = (readdirSync(join(ROOT, 'src'), { recursive: true }) as string[])
    .filter((f) => f.endsWith('.ts'))
    .reduce((max, f) => Math.max(max, statSync(join(ROOT, 'src', f)).mtimeMs), 0);
  if (existsSync(ENTRY) && statSync(ENTRY).mtimeMs >= newest) return;
  execFileSync(process.execPath, [join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.build.json'], { cwd: ROOT, stdio: 'inherit' });
}

interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** ms from the debug line "command finished" to the exit; undefined when that line never came. */
  lingerMs?: number;
}

function runCli(project: string, args: string[]): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(ROOT, 'bin', 'failover-demo.js'), ...args], {
      cwd: project,
      env: { ...process.env, FAILOVER_DEMO_DIR: project, FAILOVER_DEMO_NO_FORCED_EXIT: '1', FAILOVER_DEMO_DEBUG: '1', NO_COLOR: '1', FORCE_COLOR: '0' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    let finishedAt: number | undefined;
    child.stdout.on('data', (d: Buffer) => (stdout += d));
    child.stderr.on('data', (d: Buffer) => {
      stderr += d;
      if (finishedAt === undefined && stderr.includes('(debug): command finished')) finishedAt = Date.now();
    });
    const killer = setTimeout(() => child.kill('SIGKILL'), HARD_LIMIT_MS);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(killer);
      resolve({ code, signal, stdout, stderr, lingerMs: finishedAt === undefined ? undefined : Date.now() - finishedAt });
    });
  });
}

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
