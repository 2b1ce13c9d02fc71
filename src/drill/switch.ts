/**
 * A planned switch through the failover controller (coherent policy), as `failover-demo switch` and the
 * drill's switch steps make it. With replication (replication.mode: shadow) a switch to the primary is a
 * failback: the replicator first copies the secondary's writes since the promotion back to the primary
 * (`onProgress` gets the lag), then the controller fences writers for the last records and moves the
 * listeners (src/controller/replication.ts).
 */
import type { ClusterName, Topology } from '../config/topology.js';
import type { ReplicationView } from '../replication/replicator.js';
import type { Endpoints } from '../runtime/types.js';
import { UserError } from '../util/errors.js';
import { waitFor } from '../util/wait.js';

export type { ReplicationView };

/** Lag, in records, at which the reverse copy is close enough to fence writers for the rest. */
const FENCE_AT_LAG = 100;

export async function replicatorCall(url: string, path: string, method: 'GET' | 'POST' = 'GET', timeoutMs = 15_000): Promise<ReplicationView> {
  const res = await fetch(`${url}${path}`, { method, signal: AbortSignal.timeout(timeoutMs) }).catch((err: Error) => {
    throw new UserError(`the replicator at ${url} did not answer (${err.message})`, 'see `failover-demo status`; the runtime restarts a crashed replicator');
  });
  const body = (await res.json().catch(() => ({}))) as ReplicationView & { error?: string };
  if (!res.ok) throw new UserError(`the replicator refused ${path}: ${body.error ?? `HTTP ${res.status}`}`, 'see `failover-demo status` and the replicator log');
  return body;
}

/** Starts the reverse copy and waits until the primary is at most FENCE_AT_LAG records behind; returns that lag. */
async function catchUp(url: string, onProgress: (text: string) => void, signal?: AbortSignal): Promise<number> {
  const view = await replicatorCall(url, '/v1/reverse', 'POST');
  if (view.phase === 'forward') return 0;
  let lag = Number.NaN;
  let first: number | undefined;
  await waitFor(
    async () => {
      const v = await replicatorCall(url, '/v1/replication', 'GET', 3_000);
      lag = v.lag?.total ?? Number.NaN;
      if (!Number.isNaN(lag)) first ??= lag;
      onProgress(`primary catching up with the secondary: ${Number.isNaN(lag) ? 'reading lag' : `${lag} record(s) behind`}${v.lagError ? ` (${v.lagError})` : ''}`);
      // Close to caught up, and MirrorMaker 2 seen copying (its tasks start seconds after its JVM):
      // fencing before that would keep writers out for its whole start.
      return lag === 0 || (lag <= FENCE_AT_LAG && first !== undefined && lag < first);
    },
    { timeoutMs: 600_000, intervalMs: 500, what: 'the primary to catch up with the secondary', signal },
  );
  return lag;
}

export interface SwitchOutcome {
  active?: string;
  reason?: string;
  note?: string;
  /** Epoch ms the controller was asked (after any catch-up) and answered. */
  requestedAt: number;
  answeredAt: number;
  /** With replication, a failback: records the primary was behind when writers were fenced, and the catch-up's length. */
  catchUp?: { lagAtFence: number; ms: number };
}

export async function plannedSwitch(t: Topology, endpoints: Endpoints, to: ClusterName, onProgress: (text: string) => void, signal?: AbortSignal): Promise<SwitchOutcome> {
  const { controllerUrl: url, replicatorUrl } = endpoints;
  if (!url) throw new UserError('`switch` needs the coherent failover policy (this demo runs per-broker)', 'set `failover: { policy: coherent }` in the config and start again');
  let catchUpResult: SwitchOutcome['catchUp'];
  if (to === 'primary' && replicatorUrl) {
    const t0 = Date.now();
    const lagAtFence = await catchUp(replicatorUrl, onProgress, signal);
    catchUpResult = { lagAtFence, ms: Date.now() - t0 };
    onProgress(`primary ${lagAtFence} record(s) behind: fencing writers while it takes the rest, then switching`);
  } else onProgress(`asking the failover controller to switch to ${to}`);
  const timeoutMs = 10_000 + (replicatorUrl ? t.replication.failbackTimeoutMs + 30_000 : 0);
  const requestedAt = Date.now();
  let res: Response;
  try {
    res = await fetch(`${url}/v1/switch?to=${to}`, { method: 'POST', signal: AbortSignal.timeout(timeoutMs) });
  } catch (err) {
    throw new UserError(`the failover controller at ${url} did not answer (${(err as Error).message})`, 'see `failover-demo status`; the runtime restarts a crashed controller');
  }
  const body = (await res.json().catch(() => ({}))) as { error?: string; active?: string; reason?: string; note?: string };
  if (!res.ok) {
    throw new UserError(`switch to ${to} refused: ${body.error ?? `HTTP ${res.status}`}`, 'a cluster takes over only with a quorum of healthy brokers: see `failover-demo routing`');
  }
  return { active: body.active, reason: body.reason, note: body.note, requestedAt, answeredAt: Date.now(), ...(catchUpResult ? { catchUp: catchUpResult } : {}) };
}
