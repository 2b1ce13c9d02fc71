/**
 * What `failover-demo status` reports, for any runtime: each process (running/stopped, id, recovery
 * mode) and Envoy's view of each endpoint when its admin API answers. A plain object, so `--json`
 * prints it as is and later additions (e.g. routing state) are one more field.
 */
import type { Topology } from '../config/topology.js';
import { readRouting, type RoutingSnapshot } from '../envoy/routing.js';
import type { Endpoints, Runtime, RuntimeKind, RuntimeStatus } from './types.js';

export interface EndpointView {
  /** Envoy cluster (one per listener), e.g. broker_0_cluster. */
  listener: string;
  host: string;
  cluster: string;
  priority: number;
  healthy: boolean;
  flags: string[];
}

export interface StatusReport {
  runtime: RuntimeKind;
  project: string;
  startedAt?: string;
  envoyRunning: boolean;
  brokers: RuntimeStatus['brokers'];
  endpoints: Endpoints;
  /** Envoy's admin API view; `reachable: false` (with the reason) when it does not answer. */
  envoy: { reachable: true; endpoints: EndpointView[] } | { reachable: false; error: string };
}

export function endpointViews(snapshot: RoutingSnapshot): EndpointView[] {
  return snapshot.listeners.flatMap((l) =>
    l.hosts.map((h) => ({ listener: l.name, host: h.host, cluster: h.cluster, priority: h.priority, healthy: h.healthy, flags: h.flags })),
  );
}

export async function collectStatus(runtime: Runtime, project: string, startedAt?: string): Promise<StatusReport> {
  const status = await runtime.status();
  const endpoints = runtime.endpoints();
  let envoy: StatusReport['envoy'];
  try {
    envoy = { reachable: true, endpoints: endpointViews(await readRouting(endpoints.envoyAdminUrl, runtime.topology as Topology)) };
  } catch (err) {
    envoy = { reachable: false, error: (err as Error).message };
  }
  return { runtime: status.kind, project, startedAt, envoyRunning: status.envoyRunning, brokers: status.brokers, endpoints, envoy };
}
