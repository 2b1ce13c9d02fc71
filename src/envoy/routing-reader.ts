/**
 * Reading a live Envoy (effects): its `/clusters` document, the load-balancer settings and, under
 * `coherent`, the listener targets from `/config_dump`, Envoy's start time, and the failover
 * controller's decision; each read becomes one snapshot (./routing-snapshot.ts, ./routing-coherent.ts).
 */
import { effectiveQuorum, type Topology } from '../config/topology.js';
import { EnvoyAdmin } from './admin.js';
import { readEnvoyStartedAt } from './restart.js';
import { coherentRouting, lbSettingsFromConfigDump, listenerTargetsFromConfigDump } from './routing-coherent.js';
import { brokerClusterOf, routingFromClusters } from './routing-snapshot.js';
import { isObj, type ControllerDecision, type LbSettings, type RoutingSnapshot } from './routing-types.js';

/** GET {controllerUrl}/v1/decision; never rejects. */
export async function readDecision(controllerUrl: string, timeoutMs = 1_000): Promise<NonNullable<RoutingSnapshot['decision']>> {
  try {
    const res = await fetch(`${controllerUrl}/v1/decision`, { signal: AbortSignal.timeout(timeoutMs) });
    if (!res.ok) return { reachable: false, error: `HTTP ${res.status}` };
    return { ...((await res.json()) as Omit<ControllerDecision, 'reachable'>), reachable: true };
  } catch (err) {
    const cause = (err as { cause?: { code?: string } }).cause?.code;
    return { reachable: false, error: cause ?? (err as Error).message };
  }
}

const LB_MASK = 'cluster.name,cluster.common_lb_config,cluster.load_assignment.policy';

/** Reads panic thresholds / overprovisioning factors of static and dynamic clusters from `/config_dump`. */
export async function readLbSettings(admin: EnvoyAdmin): Promise<Record<string, Partial<LbSettings>>> {
  const [statics, dynamics] = await Promise.all(
    ['static_clusters', 'dynamic_active_clusters'].map((resource) =>
      admin.configDump(resource, LB_MASK).catch(() => ({})),
    ),
  );
  return { ...lbSettingsFromConfigDump(statics), ...lbSettingsFromConfigDump(dynamics) };
}

/** How long a read Envoy start time is reused: a restart between failed-free polls shows within this. */
export const START_TIME_REFRESH_MS = 2_000;

/**
 * Polls one Envoy: keeps the admin connections and the load-balancer settings (re-read when the set of
 * clusters changes). `read()` throws EnvoyUnreachableError or MalformedClustersError. Envoy's start
 * time is read alongside on a second connection (/server_info, a few ms: on the first read, after a
 * failed one, and every START_TIME_REFRESH_MS), left out if that fails.
 */
export class RoutingReader {
  readonly admin: EnvoyAdmin;
  private lb: Record<string, Partial<LbSettings>> | undefined;
  private lbKey = '';

  private readonly controllerUrl?: string;

  constructor(adminUrl: string, private readonly topology?: Topology, opts: { timeoutMs?: number; controllerUrl?: string } = {}) {
    this.admin = new EnvoyAdmin(adminUrl, { ...opts, connections: 2 });
    this.controllerUrl = opts.controllerUrl;
  }

  /** /server_info is ~120 KB: read with the first poll, after a failed one, and then every START_TIME_REFRESH_MS. */
  private startTime?: { value: number; readAt: number };
  private lastReadFailed = true;

  async read(): Promise<RoutingSnapshot> {
    const fresh = !this.lastReadFailed && this.startTime !== undefined && Date.now() - this.startTime.readAt < START_TIME_REFRESH_MS;
    const startedAt = fresh ? Promise.resolve(this.startTime!.value) : readEnvoyStartedAt(this.admin); // never rejects
    let snapshot: RoutingSnapshot;
    try {
      snapshot = await this.readRouting();
      this.lastReadFailed = false;
    } catch (err) {
      this.lastReadFailed = true;
      throw err;
    }
    const envoyStartedAt = await startedAt;
    if (!fresh) this.startTime = envoyStartedAt === undefined ? undefined : { value: envoyStartedAt, readAt: Date.now() };
    return envoyStartedAt === undefined ? snapshot : { ...snapshot, envoyStartedAt };
  }

  private async readRouting(): Promise<RoutingSnapshot> {
    const doc = await this.admin.clusters();
    const names = isObj(doc) && Array.isArray(doc.cluster_statuses)
      ? doc.cluster_statuses.map((c) => (isObj(c) ? String(c.name) : '')).join(',')
      : '';
    if (!this.lb || names !== this.lbKey) {
      this.lb = await readLbSettings(this.admin);
      this.lbKey = names;
    }
    const base = routingFromClusters(doc, this.topology, Date.now(), { lb: this.lb });
    if (base.policy !== 'coherent') return base;
    // coherent: where each listener routes is in Envoy's listener config (the controller swaps it).
    const targets = listenerTargetsFromConfigDump(await this.admin.configDump('dynamic_listeners'));
    const brokers = this.topology?.brokers ?? base.listeners.filter((l) => brokerClusterOf(l.name)?.cluster === 'primary' && !brokerClusterOf(l.name)?.host).length;
    const quorum = this.topology ? effectiveQuorum(this.topology) : Math.floor(brokers / 2) + 1;
    const snapshot = coherentRouting(base, targets, quorum);
    return this.controllerUrl ? { ...snapshot, decision: await readDecision(this.controllerUrl) } : snapshot;
  }

  async close(): Promise<void> {
    await this.admin.close();
  }
}

/** One snapshot of a live Envoy. */
export async function readRouting(adminUrl: string, topology?: Topology): Promise<RoutingSnapshot> {
  const reader = new RoutingReader(adminUrl, topology);
  try {
    return await reader.read();
  } finally {
    await reader.close();
  }
}
