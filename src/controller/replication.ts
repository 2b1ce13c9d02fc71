/**
 * The controller's side of replication (replication.mode: shadow): the calls it makes to the replicator
 * (src/replication/) around a switch. Node built-ins only, like every file here.
 *
 *  - before the listeners move to the secondary: POST /v1/promote (the copy into it stops, and where its
 *    own writes begin is recorded). If the replicator does not answer in time the switch goes ahead
 *    anyway: availability first, and the event says what it cost.
 *  - a planned failback: POST /v1/reverse, the listeners closed (the fenced listener file), POST
 *    /v1/failback (waits until the primary has every record), then the primary's listeners.
 */
import { errorText } from './events.js';

export interface ReplicationHook {
  /** The replicator's API, e.g. http://127.0.0.1:9903. */
  url: string;
  /** Longest a promotion may take before the switch goes ahead without it. */
  promoteTimeoutMs: number;
  /** Longest a failback waits, with writers fenced, for the primary to catch up. */
  failbackTimeoutMs: number;
  /** Absolute path of the listener file with no listeners (the fence). */
  fenced: string;
}

export type HookResult = { ok: true; body: unknown } | { ok: false; error: string };

export async function callReplicator(hook: ReplicationHook, path: string, timeoutMs: number): Promise<HookResult> {
  try {
    const res = await fetch(`${hook.url}${path}`, { method: 'POST', signal: AbortSignal.timeout(timeoutMs) });
    const text = await res.text();
    let body: unknown = text;
    try {
      body = JSON.parse(text);
    } catch {
      /* not JSON: keep the text */
    }
    if (!res.ok) {
      const error = typeof body === 'object' && body !== null && 'error' in body ? String((body as { error: unknown }).error) : `HTTP ${res.status}`;
      return { ok: false, error };
    }
    return { ok: true, body };
  } catch (err) {
    return { ok: false, error: `the replicator at ${hook.url} did not answer ${path}: ${errorText(err)}` };
  }
}

export function promote(hook: ReplicationHook): Promise<HookResult> {
  return callReplicator(hook, '/v1/promote', hook.promoteTimeoutMs);
}

export function startReverse(hook: ReplicationHook): Promise<HookResult> {
  return callReplicator(hook, '/v1/reverse', 15_000);
}

export function finishFailback(hook: ReplicationHook): Promise<HookResult> {
  return callReplicator(hook, `/v1/failback?timeoutMs=${hook.failbackTimeoutMs}`, hook.failbackTimeoutMs + 20_000);
}

export interface FailbackIo {
  /** Replaces the listener file with the fenced one (no listeners: clients cannot write anywhere). */
  fence(): Promise<void>;
  /** Puts the secondary's listeners back (the failback was abandoned). */
  unfence(): Promise<void>;
  note(reason: string): void;
}

/**
 * A planned failback with replication: the reverse copy runs, writers are fenced, the primary catches
 * up, and only then may the caller write the primary's listeners. Returns an error text when the
 * failback was refused or abandoned (then the secondary's listeners are in place again).
 */
export async function failbackSteps(hook: ReplicationHook, io: FailbackIo): Promise<string | undefined> {
  const reverse = await startReverse(hook);
  if (!reverse.ok) return `failback refused: ${reverse.error}`;
  io.note("failback: the secondary's writes since the promotion are being copied back to the primary");
  await io.fence();
  io.note('failback: listeners closed (writers fenced) until the primary has every record');
  const done = await finishFailback(hook);
  if (!done.ok) {
    await io.unfence();
    io.note(`failback abandoned, listeners back on secondary: ${done.error}`);
    return `failback abandoned: ${done.error}; the listeners are back on secondary`;
  }
  io.note('failback: the primary has every record; the copy runs primary -> secondary again');
  return undefined;
}
