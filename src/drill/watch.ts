/**
 * The drill's view of Envoy's routing, kept current in the background by the routing monitor's poll
 * loop (envoy/monitor.ts, the one `failover-demo routing` runs): the latest snapshot, every change of
 * the routing or of the hosts Envoy holds unhealthy, every change of the open client connections, and
 * the error of the last read while reads fail.
 */
import type { Topology } from '../config/topology.js';
import { monitorRouting, type MonitorUpdate } from '../envoy/monitor.js';
import { observedRouting, type ObservedRouting } from '../envoy/routing-model.js';
import { RoutingReader, type RoutingSnapshot } from '../envoy/routing.js';
import type { ConnectionSample, RoutingSample } from './report-model.js';

/** "primary-broker-2: failed_outlier_check" for every host Envoy does not consider healthy (why it moved). */
function unhealthyHosts(snap: RoutingSnapshot): string[] {
  const seen = new Set<string>();
  for (const l of snap.listeners) for (const h of l.hosts) if (!h.healthy) seen.add(`${h.host}: ${h.flags.join(',') || h.health}`);
  return [...seen].sort();
}

export class RoutingWatcher {
  /** The routing (overall, per listener, unhealthy hosts), each time it changed. */
  readonly samples: RoutingSample[] = [];
  /** Open client connections per cluster, each time they changed. */
  readonly connections: ConnectionSample[] = [];
  latest?: RoutingSnapshot;
  /** Why the last read failed; cleared by the next one that works. */
  lastError?: Error;
  private readonly reader: RoutingReader;
  private readonly stopping = new AbortController();
  private loop?: Promise<void>;

  constructor(adminUrl: string, topology: Topology, private readonly pollMs: number) {
    this.reader = new RoutingReader(adminUrl, topology);
  }

  start(): void {
    this.loop = monitorRouting(this.reader, { intervalMs: this.pollMs, signal: this.stopping.signal, onUpdate: (u) => this.update(u) });
  }

  private update(u: MonitorUpdate): void {
    if (u.kind === 'error') {
      this.lastError = u.error as Error;
      return;
    }
    const snap = u.snapshot;
    this.latest = snap;
    this.lastError = undefined;
    const obs = observedRouting(snap);
    const unhealthy = unhealthyHosts(snap);
    const prev = this.samples.at(-1);
    if (!prev || prev.activeCluster !== obs.activeCluster || prev.listeners.join() !== obs.listeners.join() || prev.unhealthy?.join() !== unhealthy.join()) {
      this.samples.push({ at: snap.at, activeCluster: obs.activeCluster, listeners: obs.listeners, unhealthy });
    }
    const cx = snap.connectionsByCluster ?? {};
    if (JSON.stringify(cx) !== JSON.stringify(this.connections.at(-1)?.byCluster)) this.connections.push({ at: snap.at, byCluster: { ...cx } });
  }

  observed(): ObservedRouting | undefined {
    return this.latest ? observedRouting(this.latest) : undefined;
  }

  /** Ends the poll loop (a read under way is finished, not recorded) and closes the admin connections. */
  async stop(): Promise<void> {
    this.stopping.abort();
    await this.loop;
    await this.reader.close();
  }
}
