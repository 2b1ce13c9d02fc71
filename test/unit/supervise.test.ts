/**
 * The local runtime's supervisor as a real process: src/supervisor/ transpiled alone into a temp folder
 * (it imports only node: built-ins), supervising small node children.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../../src/util/wait.js';
import { transpileFolder } from '../support/transpile.js';
import type { SupervisorState } from '../../src/supervisor/supervise.js';

let root: string;
let bin: string;

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'supervise-'));
  bin = join(root, 'supervisor');
  transpileFolder(join(import.meta.dirname, '../../src/supervisor'), bin);
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

interface Proc {
  child: ChildProcess;
  stderr: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}
const procs: Proc[] = [];

function run(args: string[], detached = false): Proc {
  const child = spawn(process.execPath, [join(bin, 'supervise.js'), ...args], { stdio: ['ignore', 'pipe', 'pipe'], detached });
  let err = '';
  child.stderr!.setEncoding('utf8').on('data', (c: string) => (err += c));
  child.stdout!.resume();
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) => child.on('exit', (code, signal) => r({ code, signal })));
  const p = { child, stderr: () => err, exited };
  procs.push(p);
  return p;
}

async function stop(p: Proc) {
  if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGTERM');
  return p.exited;
}

/** Running (a zombie waiting for a reaper has ended). */
function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

const readState = (file: string): SupervisorState | undefined => (existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as SupervisorState) : undefined);

afterEach(async () => {
  for (const p of procs.splice(0)) {
    if (p.child.exitCode === null && p.child.signalCode === null) {
      try {
        process.kill(-p.child.pid!, 'SIGKILL');
      } catch {
        p.child.kill('SIGKILL');
      }
    }
    await p.exited;
  }
});

describe('supervise', () => {
  it('restarts a crashing child with backoff, and stops it cleanly on SIGTERM', async () => {
    const dir = mkdtempSync(join(root, 'sup-'));
    const counter = join(dir, 'runs');
    const ready = join(dir, 'ready');
    // Crashes on its first two runs; then runs until SIGTERM, and exits 0.
    const child = `
      const fs = require('node:fs');
      const n = (fs.existsSync(${JSON.stringify(counter)}) ? Number(fs.readFileSync(${JSON.stringify(counter)}, 'utf8')) : 0) + 1;
      fs.writeFileSync(${JSON.stringify(counter)}, String(n));
      if (n <= 2) { console.error('boom ' + n); process.exit(3); }
      process.on('SIGTERM', () => { console.error('child got SIGTERM'); process.exit(0); });
      fs.writeFileSync(${JSON.stringify(ready)}, 'x');
      setInterval(() => {}, 1000);
    `;
    const state = join(dir, 'state.json');
    const p = run(['--state', state, '--', process.execPath, '-e', child]);
    await waitFor(() => existsSync(ready), { what: 'the third run', timeoutMs: 10_000, intervalMs: 20 });
    const log = p.stderr();
    expect(log).toMatch(/^\d{4}-\d\d-\d\dT\S+Z supervise: \S+ exited with code 3 \(crash 1 within 60 s\): restarting in 0\.5 s$/m);
    expect(log).toMatch(/exited with code 3 \(crash 2 within 60 s\): restarting in 1\.0 s$/m);
    const s = await waitFor(() => (readState(state)?.phase === 'running' && readState(state)?.restarts === 2 ? readState(state) : undefined), {
      what: 'the state file to show the third run',
      timeoutMs: 5_000,
      intervalMs: 20,
    });
    expect(s.lastExit?.reason).toBe('exited with code 3');
    expect(alive(s.child!.pid)).toBe(true);
    expect(await stop(p)).toEqual({ code: 0, signal: null });
    expect(p.stderr()).toContain('child got SIGTERM');
  });

  it('kills what a SIGKILLed child left in its process group before restarting it', async () => {
    const dir = mkdtempSync(join(root, 'sup-'));
    const state = join(dir, 'state.json');
    const grandchildFile = join(dir, 'grandchild');
    // Like the stand-in and its JVM: the child starts a grandchild, then waits.
    const child = `
      const { spawn } = require('node:child_process');
      const g = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
      require('node:fs').writeFileSync(${JSON.stringify(grandchildFile)} + '.' + process.pid, String(g.pid));
      setInterval(() => {}, 1000);
    `;
    const p = run(['--state', state, '--', process.execPath, '-e', child], true);
    const first = await waitFor(() => readState(state)?.child, { what: 'the first child', timeoutMs: 5_000, intervalMs: 20 });
    const grandchild = Number(await waitFor(() => (existsSync(`${grandchildFile}.${first.pid}`) ? readFileSync(`${grandchildFile}.${first.pid}`, 'utf8') : undefined), {
      what: 'the grandchild',
      timeoutMs: 5_000,
      intervalMs: 20,
    }));
    process.kill(first.pid, 'SIGKILL');
    const s = await waitFor(() => {
      const x = readState(state);
      return x?.phase === 'running' && x.restarts === 1 ? x : undefined;
    }, { what: 'the restart', timeoutMs: 10_000, intervalMs: 20 });
    expect(s.lastExit?.reason).toBe('was killed by SIGKILL');
    expect(s.child!.pid).not.toBe(first.pid);
    expect(p.stderr()).toContain(`killing 1 process(es) the child left behind: ${grandchild}`);
    // SIGKILLed before the restart; gone once init has reaped it (a moment later on a busy machine).
    await waitFor(() => !alive(grandchild), { what: 'the grandchild to be gone', timeoutMs: 5_000, intervalMs: 20 });
    expect(await stop(p)).toEqual({ code: 0, signal: null });
  });

  it('gives up after 5 crashes within 60 s, printing the last 20 lines of the child stderr and saying why in its state', async () => {
    const dir = mkdtempSync(join(root, 'sup-'));
    const state = join(dir, 'state.json');
    const child = `for (let i = 0; i < 30; i++) console.error('line ' + i); process.exit(4);`;
    const p = run(['--state', state, '--', process.execPath, '-e', child]);
    expect(await p.exited).toEqual({ code: 1, signal: null });
    const log = p.stderr();
    expect(log).toContain('5 crashes within 60 s, giving up');
    const report = log.slice(log.indexOf('--- last 20 line(s)'));
    expect(report.split('\n').slice(1, 21)).toEqual(Array.from({ length: 20 }, (_, i) => `line ${i + 10}`));
    expect(log).toMatch(/restarting in 4\.0 s$/m);
    const s = readState(state)!;
    expect(s.phase).toBe('gave-up');
    expect(s.restarts).toBe(4);
    expect(s.gaveUp?.reason).toBe('exited with code 4; 5 crashes within 60 s');
    expect(s.gaveUp?.stderrTail.at(-1)).toBe('line 29');
  }, 20_000);

  it('usage error without "--"', async () => {
    const p = run(['node']);
    expect((await p.exited).code).toBe(2);
    const q = run(['--bogus', '--', 'node']);
    expect((await q.exited).code).toBe(2);
  });
});
