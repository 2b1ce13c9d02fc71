/**
 * Detached child processes tracked by PID files: they outlive the `start` command, and `stop` ends
 * exactly them. Each runs in its own process group (pgid = pid), so stopping one also stops what it
 * spawned (the stand-in's JVM). A PID file records the process start time too, so a PID reused by an
 * unrelated process is never signalled.
 */
import { spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, readSync, rmSync, statSync } from 'node:fs';
import { logExcerpt } from '../../util/log-excerpt.js';
import { dirname } from 'node:path';
import { writeFileAtomic } from '../../util/fs.js';
import { delay } from '../../util/wait.js';

export interface ProcessRecord {
  pid: number;
  /** Start time in clock ticks since boot (/proc/<pid>/stat field 22): identifies this very process. */
  startTicks: number;
  command: string[];
  log: string;
  startedAt: string;
}

/** /proc/<pid>/stat start time, or undefined when there is no such process. */
export function processStartTicks(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // comm (field 2) may contain spaces and parentheses: split after the last ')'.
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // rest[0] is field 3 (state); field 22 is rest[19].
    if (rest[0] === 'Z') return undefined;
    return Number(rest[19]);
  } catch {
    return undefined;
  }
}

export function readProcessRecord(pidFile: string): ProcessRecord | undefined {
  if (!existsSync(pidFile)) return undefined;
  try {
    const r = JSON.parse(readFileSync(pidFile, 'utf8')) as ProcessRecord;
    return Number.isInteger(r.pid) && r.pid > 1 ? r : undefined;
  } catch {
    return undefined;
  }
}

/** The recorded process itself is still running (same PID and same start time). */
export function isRunning(r: ProcessRecord | undefined): boolean {
  return r !== undefined && processStartTicks(r.pid) === r.startTicks;
}

/** Some process of the record's group is still alive (the leader may be gone while its JVM lingers). */
export function groupAlive(r: ProcessRecord): boolean {
  try {
    process.kill(-r.pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Starts `command` detached in its own process group, output appended to `log`; records it in `pidFile`. */
export function spawnDetached(command: string[], opts: { pidFile: string; log: string; cwd?: string; env?: NodeJS.ProcessEnv }): ProcessRecord {
  mkdirSync(dirname(opts.log), { recursive: true });
  const out = openSync(opts.log, 'a');
  try {
    const child = spawn(command[0]!, command.slice(1), {
      detached: true,
      stdio: ['ignore', out, out],
      cwd: opts.cwd,
      env: opts.env ?? process.env,
    });
    child.unref();
    const pid = child.pid;
    if (pid === undefined) throw new Error(`could not start ${command[0]}`);
    const startTicks = processStartTicks(pid);
    if (startTicks === undefined) throw new Error(`${command[0]} exited at once; see ${opts.log}`);
    const record: ProcessRecord = { pid, startTicks, command, log: opts.log, startedAt: new Date().toISOString() };
    writeFileAtomic(opts.pidFile, JSON.stringify(record, null, 2) + '\n');
    return record;
  } finally {
    closeSync(out);
  }
}

/**
 * Stops the process group of a PID file: SIGTERM, wait until the whole group is gone, SIGKILL after
 * `graceMs`. No-op if not running. Removes the PID file. Safe to call twice.
 */
export async function stopRecorded(pidFile: string, graceMs = 15_000): Promise<boolean> {
  const r = readProcessRecord(pidFile);
  if (!r) return false;
  // Only signal the group if its leader is still the recorded process, or the group outlived it.
  const ours = isRunning(r) || (processStartTicks(r.pid) === undefined && groupAlive(r));
  if (!ours) {
    rmSync(pidFile, { force: true });
    return false;
  }
  const signal = (sig: NodeJS.Signals) => {
    try {
      process.kill(-r.pid, sig);
    } catch {
      /* already gone */
    }
  };
  signal('SIGTERM');
  const deadline = Date.now() + graceMs;
  while (groupAlive(r) && Date.now() < deadline) await delay(100);
  if (groupAlive(r)) {
    signal('SIGKILL');
    const killDeadline = Date.now() + 5_000;
    while (groupAlive(r) && Date.now() < killDeadline) await delay(50);
  }
  rmSync(pidFile, { force: true });
  return true;
}

/** Bytes of a log's end that `logFileExcerpt` reads. */
const EXCERPT_WINDOW_BYTES = 256 * 1024;

/**
 * The lines of a log file's end that name its problem (error and critical lines, long lines cut, config
 * dumps left out: ../../util/log-excerpt.ts), for error messages; the file's path should follow them.
 */
export function tailLog(file: string): string {
  try {
    const size = statSync(file).size;
    const fd = openSync(file, 'r');
    try {
      const buf = Buffer.alloc(Math.min(size, EXCERPT_WINDOW_BYTES));
      readSync(fd, buf, 0, buf.length, size - buf.length);
      return logExcerpt(buf.toString('utf8')).join('\n');
    } finally {
      closeSync(fd);
    }
  } catch {
    return '';
  }
}
