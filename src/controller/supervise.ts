/**
 * A small supervisor for the local runtime: `node dist/controller/supervise.js -- <cmd> [args...]`.
 *
 * Runs the child and restarts it when it exits unexpectedly: a non-zero exit code, or killed by a
 * signal the supervisor did not forward. A child that exits 0 on its own has stopped on purpose (the
 * controller does so only after SIGTERM/SIGINT), so the supervisor exits 0 with it.
 *  - Backoff between restarts: 0.5 s, doubling per consecutive crash, at most 8 s; back to 0.5 s once
 *    a child has stayed up for 30 s.
 *  - Gives up after 5 crashes within 60 s: exit 1, printing the last 20 lines of the child's stderr.
 *  - SIGTERM/SIGINT are forwarded to the child; the supervisor exits when the child does (0 when the
 *    child exits 0 or dies of the forwarded signal, else the child's code). During a backoff pause it
 *    exits 0 at once.
 * Each start and restart is logged to stderr with an ISO timestamp; the child's stdout is inherited,
 * its stderr passed through (and the last lines kept for the give-up report).
 *
 * Only `node:` built-ins, like the rest of src/controller/.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { realpathSync } from 'node:fs';
import { constants } from 'node:os';
import { pathToFileURL } from 'node:url';

export const POLICY = {
  initialBackoffMs: 500,
  maxBackoffMs: 8_000,
  /** A child up this long resets the backoff. */
  stableAfterMs: 30_000,
  maxCrashes: 5,
  crashWindowMs: 60_000,
  stderrLinesKept: 20,
};

/** Backoff before restart number `consecutive` (1-based). Pure. */
export function backoffMs(consecutive: number, policy = POLICY): number {
  return Math.min(policy.maxBackoffMs, policy.initialBackoffMs * 2 ** Math.max(0, consecutive - 1));
}

/** Crash times within the window ending at `now`, this one included. Pure. */
export function crashesInWindow(crashTimes: readonly number[], now: number, windowMs = POLICY.crashWindowMs): number[] {
  return crashTimes.filter((t) => now - t < windowMs);
}

/** Keeps the last `max` complete-or-partial lines of a stream. */
export class LineTail {
  private lines: string[] = [];
  private partial = '';
  constructor(private readonly max: number) {}
  push(chunk: string): void {
    const parts = (this.partial + chunk).split('\n');
    this.partial = parts.pop() ?? '';
    this.lines.push(...parts);
    if (this.lines.length > this.max) this.lines.splice(0, this.lines.length - this.max);
  }
  tail(): string[] {
    const all = this.partial ? [...this.lines, this.partial] : [...this.lines];
    return all.slice(-this.max);
  }
}

function log(line: string): void {
  process.stderr.write(`${new Date().toISOString()} supervise: ${line}\n`);
}

function exitText(code: number | null, signal: NodeJS.Signals | null): string {
  return signal ? `was killed by ${signal}` : `exited with code ${code}`;
}

function run(cmd: string, args: string[]): void {
  const tail = new LineTail(POLICY.stderrLinesKept);
  let child: ChildProcess | undefined;
  let forwarded: NodeJS.Signals | undefined;
  let backoffTimer: NodeJS.Timeout | undefined;
  let consecutive = 0;
  let crashes: number[] = [];

  const startChild = () => {
    backoffTimer = undefined;
    const startedAt = Date.now();
    const c = spawn(cmd, args, { stdio: ['ignore', 'inherit', 'pipe'] });
    child = c;
    c.stderr!.setEncoding('utf8');
    c.stderr!.on('data', (chunk: string) => {
      process.stderr.write(chunk);
      tail.push(chunk);
    });
    c.on('error', (err) => {
      // A spawn failure (ENOENT, EACCES) comes as 'error' without an 'exit': count it as a crash.
      const line = `cannot run ${cmd}: ${err.message}`;
      log(line);
      tail.push(`supervise: ${line}\n`);
      if (c.pid === undefined) onExit(127, null);
    });
    c.on('exit', (code, signal) => onExit(code, signal));
    let exited = false;
    const onExit = (code: number | null, signal: NodeJS.Signals | null) => {
      if (exited) return;
      exited = true;
      child = undefined;
      if (forwarded) {
        const status = code === 0 || signal === forwarded ? 0 : (code ?? 128 + (constants.signals[signal!] ?? 0));
        log(`${cmd} ${exitText(code, signal)} after ${forwarded}: exiting ${status}`);
        process.exit(status);
      }
      if (code === 0) {
        log(`${cmd} exited with code 0 on its own: exiting 0`);
        process.exit(0);
      }
      const now = Date.now();
      if (now - startedAt >= POLICY.stableAfterMs) consecutive = 0;
      consecutive += 1;
      crashes = crashesInWindow([...crashes, now], now);
      if (crashes.length >= POLICY.maxCrashes) {
        log(`${cmd} ${exitText(code, signal)}: ${crashes.length} crashes within ${POLICY.crashWindowMs / 1000} s, giving up`);
        const lines = tail.tail();
        process.stderr.write(
          `--- last ${lines.length} line(s) of ${cmd}'s stderr ---\n${lines.join('\n')}${lines.length ? '\n' : ''}--- end ---\n`,
        );
        process.exit(1);
      }
      const wait = backoffMs(consecutive);
      log(`${cmd} ${exitText(code, signal)} (crash ${crashes.length} within ${POLICY.crashWindowMs / 1000} s): restarting in ${(wait / 1000).toFixed(1)} s`);
      backoffTimer = setTimeout(startChild, wait);
    };
    log(`started ${[cmd, ...args].join(' ')} (pid ${c.pid ?? '?'})`);
  };

  const onSignal = (signal: NodeJS.Signals) => {
    forwarded = signal;
    if (child) {
      child.kill(signal);
      return;
    }
    if (backoffTimer) clearTimeout(backoffTimer);
    log(`${signal} while waiting to restart ${cmd}: exiting 0`);
    process.exit(0);
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  startChild();
}

function main(argv: string[]): void {
  const sep = argv.indexOf('--');
  const command = sep === -1 ? [] : argv.slice(sep + 1);
  if (sep !== 0 || command.length === 0) {
    process.stderr.write('usage: node supervise.js -- <cmd> [args...]\n');
    process.exit(2);
  }
  run(command[0]!, command.slice(1));
}

// Run only as the entry script (the pure helpers above are importable by tests).
if (isEntry(import.meta.url)) main(process.argv.slice(2));

function isEntry(moduleUrl: string): boolean {
  const script = process.argv[1];
  if (!script) return false;
  try {
    return moduleUrl === pathToFileURL(realpathSync(script)).href;
  } catch {
    return false;
  }
}
