/**
 * `crash` for the local runtime: SIGKILL a part's own process (a broker's JVM, not its stand-in wrapper)
 * the way a crash would, then wait for its supervisor to start it again and for it to serve.
 */
import { UserError } from '../../util/errors.js';
import { waitFor, WaitTimeoutError } from '../../util/wait.js';
import type { CrashResult } from '../types.js';
import { childrenOf, partPid, processName, readSupervisorState, type PartFiles } from './supervised.js';

export interface CrashOptions {
  timeoutMs?: number;
  signal?: AbortSignal;
  /** The part serves again (Envoy's admin API is LIVE, a broker's Kafka API and Schema Registry answer). */
  serving: () => Promise<boolean>;
}

/** The process a crash kills: the part's own process, or for a broker stand-in the JVM it runs. */
function victim(part: PartFiles): { pid: number; what: string } {
  const pid = partPid(part);
  if (pid === undefined) {
    throw new UserError(`${part.name} is not running`, 'see `failover-demo status`; `failover-demo start` brings missing parts back');
  }
  if (part.name === 'envoy' || part.name === 'controller') return { pid, what: `${part.name === 'envoy' ? 'Envoy' : 'the failover controller'} (pid ${pid})` };
  const jvm = childrenOf(pid).find((c) => processName(c) === 'java');
  if (jvm === undefined) throw new UserError(`${part.name}'s JVM is not running (its stand-in is starting or stopping)`, 'try again once `failover-demo status` shows it running');
  return { pid: jvm, what: `${part.name}'s JVM (pid ${jvm})` };
}

export async function crashPart(part: PartFiles, o: CrashOptions): Promise<CrashResult> {
  const before = readSupervisorState(part.stateFile)?.restarts ?? 0;
  const { pid, what } = victim(part);
  const timeoutMs = o.timeoutMs ?? 120_000;
  process.kill(pid, 'SIGKILL');
  const killedAt = Date.now();
  try {
    const state = await waitFor(() => {
      const s = readSupervisorState(part.stateFile);
      return s && (s.phase === 'gave-up' || (s.restarts > before && partPid(part) !== undefined)) ? s : undefined;
    }, { what: `${part.name}'s supervisor to restart it`, timeoutMs, intervalMs: 50, signal: o.signal });
    if (state.phase === 'gave-up') throw new UserError(`${part.name} did not come back: its supervisor gave up (${state.gaveUp?.reason})`, `see ${part.log}`);
    const restarted = state.restarts;
    const restartedAt = Date.now();
    await waitFor(o.serving, { what: `${part.name} to serve again`, timeoutMs: Math.max(1_000, timeoutMs - (restartedAt - killedAt)), intervalMs: 100, signal: o.signal });
    return { part: part.name, killed: what, killedAt, restartedAt, servingAt: Date.now(), restarts: restarted };
  } catch (err) {
    if (err instanceof WaitTimeoutError) throw new UserError(`${err.message} after killing ${what}`, `see ${part.log} and \`failover-demo status\``);
    throw err;
  }
}
