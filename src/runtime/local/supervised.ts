/**
 * The local runtime's parts (Envoy, the controller, each broker stand-in) each run under a supervisor
 * (src/supervisor/supervise.ts) that restarts it when it crashes. The PID file records the supervisor,
 * which leads the part's process group (so `stop` still ends everything at once); its state file says
 * what the supervisor is doing (child pid, restarts, last exit, why it gave up).
 */
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { SupervisorState } from '../../supervisor/supervise.js';
import { PACKAGE_ROOT } from '../../util/paths.js';
import type { PartStatus } from '../types.js';
import { isRunning, processStartTicks, readProcessRecord, spawnDetached, tailLog, type ProcessRecord } from './processes.js';

/** Where one supervised part keeps its files. */
export interface PartFiles {
  /** 'envoy', 'controller' or a broker's name. */
  name: string;
  pidFile: string;
  stateFile: string;
  log: string;
}

export function supervisorScript(): string {
  return join(PACKAGE_ROOT, 'dist', 'supervisor', 'supervise.js');
}

/** Starts `command` under a fresh supervisor (a new state file: restarts count from 0). */
export function spawnSupervised(part: PartFiles, command: string[], cwd: string): ProcessRecord {
  rmSync(part.stateFile, { force: true });
  return spawnDetached([process.execPath, supervisorScript(), '--state', part.stateFile, '--', ...command], { pidFile: part.pidFile, log: part.log, cwd });
}

export function readSupervisorState(file: string): SupervisorState | undefined {
  if (!existsSync(file)) return undefined;
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as SupervisorState;
  } catch {
    return undefined; // being replaced: the rename is atomic, a read can still race a first write
  }
}

/** The supervisor runs (it may be between restarts). */
export function supervisorRunning(part: PartFiles): boolean {
  return isRunning(readProcessRecord(part.pidFile));
}

/** The part's own process, when its supervisor runs and has it running. */
export function partPid(part: PartFiles): number | undefined {
  if (!supervisorRunning(part)) return undefined;
  const s = readSupervisorState(part.stateFile);
  return s?.phase === 'running' && s.child && processStartTicks(s.child.pid) !== undefined ? s.child.pid : undefined;
}

/** What `status` shows of a part. */
export function partStatus(part: PartFiles): PartStatus {
  const up = supervisorRunning(part);
  const s = readSupervisorState(part.stateFile);
  return {
    name: part.name,
    running: up && partPid(part) !== undefined,
    restarts: s?.restarts ?? 0,
    ...(s?.lastExit ? { lastExit: s.lastExit.reason, lastExitAt: s.lastExit.at } : {}),
    ...(!up && s?.gaveUp ? { gaveUp: { reason: s.gaveUp.reason, logTail: tailLog(part.log) } } : {}),
  };
}

/** A UserError-ready line for a part whose supervisor is gone: gave up (why, log tail), or stopped. */
export function partGoneMessage(part: PartFiles, label: string): string {
  const s = readSupervisorState(part.stateFile);
  const why = s?.gaveUp ? `crashed repeatedly (${s.gaveUp.reason}); its supervisor gave up` : 'exited';
  return `${label} ${why}:\n${tailLog(part.log)}\n(full log: ${part.log})`;
}

/** Live children of `pid` (from /proc/<n>/stat's ppid field). */
export function childrenOf(pid: number): number[] {
  const out: number[] = [];
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
      const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (rest[0] !== 'Z' && Number(rest[1]) === pid) out.push(Number(d));
    } catch {
      /* gone meanwhile */
    }
  }
  return out;
}

/** The command name of a process (/proc/<pid>/comm), or undefined when it is gone. */
export function processName(pid: number): string | undefined {
  try {
    return readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
  } catch {
    return undefined;
  }
}
