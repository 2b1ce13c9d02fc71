/**
 * The local runtime's supervisor: `node dist/supervisor/supervise.js [--state FILE] -- <cmd> [args...]`.
 * Envoy, each broker stand-in and the failover controller each run under one, so the demo keeps itself
 * up between CLI commands (Docker's restart policy does the same for the Docker runtime).
 *
 * Runs the child and restarts it when it exits unexpectedly: a non-zero exit code, or killed by a
 * signal the supervisor did not forward. A child that exits 0 on its own has stopped on purpose, so the
 * supervisor exits 0 with it; a stop on purpose (`broker stop`, `stop`) signals the supervisor's process
 * group, so it is never restarted either.
 *  - Backoff between restarts: 0.5 s, doubling per consecutive crash, at most 8 s; back to 0.5 s once
 *    a child has stayed up for 30 s.
 *  - Gives up after 5 crashes within 60 s: exit 1, printing the last 20 lines of the child's stderr.
 *  - SIGTERM/SIGINT are forwarded to the child; the supervisor exits when the child does (0 when the
 *    child exits 0 or dies of the forwarded signal, else the child's code). During a backoff pause it
 *    exits 0 at once.
 *  - Before each restart, whatever the dead child left behind in the supervisor's process group (a
 *    stand-in's JVM when the stand-in itself was killed) is killed, so the new child finds its ports free.
 *  - With --state, a JSON file (written atomically) says what the supervisor is doing: the child's pid,
 *    restarts, how the last run ended, and why it gave up (`status` shows it; see SupervisorState).
 * Each start and restart is logged to stderr with an ISO timestamp; the child's stdout is inherited,
 * its stderr passed through (and the last lines kept for the give-up report).
 *
 * Only `node:` built-ins, so it runs from any folder with just node.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync, realpathSync, renameSync, writeFileSync } from 'node:fs';
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

/** What the --state file holds. */
export interface SupervisorState {
  supervisorPid: number;
  /** running: the child runs; backoff: waiting to restart it; gave-up: exited after too many crashes. */
  phase: 'running' | 'backoff' | 'gave-up' | 'stopping';
  /** The current child, while one runs. */
  child?: { pid: number; startedAt: string };
  /** Restarts after a crash since the supervisor started. */
  restarts: number;
  lastExit?: { reason: string; at: string };
  gaveUp?: { reason: string; at: string; stderrTail: string[] };
}

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

export function exitText(code: number | null, signal: NodeJS.Signals | null): string {
  return signal ? `was killed by ${signal}` : `exited with code ${code}`;
}

/** Process group of a pid (/proc/<pid>/stat field 5), or undefined when it is gone. */
function processGroup(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return rest[0] === 'Z' ? undefined : Number(rest[2]);
  } catch {
    return undefined;
  }
}

/** Other live processes of this supervisor's group (it leads the group when started detached). */
export function groupStragglers(): number[] {
  const group = processGroup(process.pid);
  if (group !== process.pid) return [];
  return readdirSync('/proc')
    .filter((d) => /^\d+$/.test(d))
    .map(Number)
    .filter((pid) => pid !== process.pid && processGroup(pid) === group);
}

/** Kills what a dead child left in the group, then calls `then` once they are gone (at most 5 s). */
function reapStragglers(then: () => void): void {
  const left = groupStragglers();
  if (left.length === 0) return then();
  log(`killing ${left.length} process(es) the child left behind: ${left.join(', ')}`);
  for (const pid of left) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      /* already gone */
    }
  }
  const deadline = Date.now() + 5_000;
  const poll = () => (groupStragglers().length === 0 || Date.now() > deadline ? then() : setTimeout(poll, 50));
  poll();
}

function stateWriter(file: string | undefined): (s: SupervisorState) => void {
  if (!file) return () => {};
  return (s) => {
    const tmp = `${file}.${process.pid}.tmp`;
    writeFileSync(tmp, JSON.stringify(s, null, 2) + '\n');
    renameSync(tmp, file);
  };
}

/** One supervised child: started, restarted after crashes with backoff, given up on, or stopped on a signal. */
class Supervisor {
  private readonly tail = new LineTail(POLICY.stderrLinesKept);
  private readonly writeState: (s: SupervisorState) => void;
  private readonly state: SupervisorState = { supervisorPid: process.pid, phase: 'running', restarts: 0 };
  private child: ChildProcess | undefined;
  private forwarded: NodeJS.Signals | undefined;
  private backoffTimer: NodeJS.Timeout | undefined;
  private consecutive = 0;
  private crashes: number[] = [];

  constructor(
    private readonly cmd: string,
    private readonly args: string[],
    stateFile: string | undefined,
  ) {
    this.writeState = stateWriter(stateFile);
  }

  run(): void {
    process.on('SIGTERM', (s) => this.onSignal(s));
    process.on('SIGINT', (s) => this.onSignal(s));
    this.startChild();
  }

  private startChild(): void {
    this.backoffTimer = undefined;
    const startedAt = Date.now();
    const c = spawn(this.cmd, this.args, { stdio: ['ignore', 'inherit', 'pipe'] });
    this.child = c;
    c.stderr!.setEncoding('utf8');
    c.stderr!.on('data', (chunk: string) => {
      process.stderr.write(chunk);
      this.tail.push(chunk);
    });
    let exited = false;
    const onExit = (code: number | null, signal: NodeJS.Signals | null) => {
      if (exited) return;
      exited = true;
      this.child = undefined;
      this.onExit(code, signal, startedAt);
    };
    c.on('error', (err) => {
      // A spawn failure (ENOENT, EACCES) comes as 'error' without an 'exit': count it as a crash.
      const line = `cannot run ${this.cmd}: ${err.message}`;
      log(line);
      this.tail.push(`supervise: ${line}\n`);
      if (c.pid === undefined) onExit(127, null);
    });
    c.on('exit', (code, signal) => onExit(code, signal));
    if (c.pid !== undefined) this.writeState({ ...this.state, phase: 'running', child: { pid: c.pid, startedAt: new Date(startedAt).toISOString() } });
    log(`started ${[this.cmd, ...this.args].join(' ')} (pid ${c.pid ?? '?'})`);
  }

  private onExit(code: number | null, signal: NodeJS.Signals | null, startedAt: number): void {
    if (this.forwarded) {
      const status = code === 0 || signal === this.forwarded ? 0 : (code ?? 128 + (constants.signals[signal!] ?? 0));
      log(`${this.cmd} ${exitText(code, signal)} after ${this.forwarded}: exiting ${status}`);
      process.exit(status);
    }
    if (code === 0) {
      log(`${this.cmd} exited with code 0 on its own: exiting 0`);
      process.exit(0);
    }
    this.onCrash(exitText(code, signal), startedAt);
  }

  private onCrash(why: string, startedAt: number): void {
    const now = Date.now();
    if (now - startedAt >= POLICY.stableAfterMs) this.consecutive = 0;
    this.consecutive += 1;
    this.crashes = crashesInWindow([...this.crashes, now], now);
    this.state.lastExit = { reason: why, at: new Date(now).toISOString() };
    if (this.crashes.length >= POLICY.maxCrashes) return this.giveUp(why);
    const wait = backoffMs(this.consecutive);
    log(`${this.cmd} ${why} (crash ${this.crashes.length} within ${POLICY.crashWindowMs / 1000} s): restarting in ${(wait / 1000).toFixed(1)} s`);
    this.writeState({ ...this.state, phase: 'backoff', child: undefined });
    this.backoffTimer = setTimeout(() => reapStragglers(() => (this.forwarded ? undefined : this.restart())), wait);
  }

  private restart(): void {
    this.state.restarts += 1;
    this.startChild();
  }

  private giveUp(why: string): void {
    const within = `${this.crashes.length} crashes within ${POLICY.crashWindowMs / 1000} s`;
    log(`${this.cmd} ${why}: ${within}, giving up`);
    const lines = this.tail.tail();
    process.stderr.write(`--- last ${lines.length} line(s) of ${this.cmd}'s stderr ---\n${lines.join('\n')}${lines.length ? '\n' : ''}--- end ---\n`);
    this.writeState({ ...this.state, phase: 'gave-up', child: undefined, gaveUp: { reason: `${why}; ${within}`, at: new Date().toISOString(), stderrTail: lines } });
    process.exit(1);
  }

  private onSignal(signal: NodeJS.Signals): void {
    if (this.forwarded) return;
    this.forwarded = signal;
    this.writeState({ ...this.state, phase: 'stopping' });
    if (this.child) {
      this.child.kill(signal);
      return;
    }
    if (this.backoffTimer) clearTimeout(this.backoffTimer);
    log(`${signal} while waiting to restart ${this.cmd}: exiting 0`);
    process.exit(0);
  }
}

export function parseArgs(argv: string[]): { stateFile?: string; command: string[] } | undefined {
  const sep = argv.indexOf('--');
  if (sep === -1) return undefined;
  const opts = argv.slice(0, sep);
  const command = argv.slice(sep + 1);
  let stateFile: string | undefined;
  if (opts.length === 2 && opts[0] === '--state' && opts[1]) stateFile = opts[1];
  else if (opts.length !== 0) return undefined;
  return command.length === 0 ? undefined : { stateFile, command };
}

function main(argv: string[]): void {
  const parsed = parseArgs(argv);
  if (!parsed) {
    process.stderr.write('usage: node supervise.js [--state FILE] -- <cmd> [args...]\n');
    process.exit(2);
  }
  new Supervisor(parsed.command[0]!, parsed.command.slice(1), parsed.stateFile).run();
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
