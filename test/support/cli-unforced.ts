/**
 * The built CLI run with the forced exit of src/cli/main.ts turned off (FAILOVER_DEMO_NO_FORCED_EXIT=1)
 * and its debug log on, which says when the command finished and, if the process lingers, what is still
 * open: how the tests show that every command ends on its own.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';

const ROOT = join(import.meta.dirname, '..', '..');
/** From "command finished" to the process's end, on a busy machine. */
export const LINGER_LIMIT_MS = 3_000;
/** A run that has not ended by then is killed (and the test fails with what was still open). */
export const HARD_LIMIT_MS = 120_000;

export interface LingerRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** ms from the debug line "command finished" to the exit; undefined when that line never came. */
  lingerMs?: number;
}

export function runCliUnforced(project: string, args: string[]): Promise<LingerRun> {
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
