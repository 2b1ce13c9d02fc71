/** Real readiness signals of the local rig: brokers answer metadata; Envoy's routing, read leniently (benches). */
import type { Admin } from 'kafkajs';
import { directClient } from '../../kafka/client.js';
import { readRouting, type RoutingSnapshot } from '../../envoy/routing.js';
import type { Topology } from '../../config/topology.js';

export function quietAdmin(brokers: string[], clientId = 'failover-demo-local-runtime'): Admin {
  return directClient(brokers, clientId, { connectionTimeoutMs: 1_000, requestTimeoutMs: 5_000, retry: { retries: 0 } }).admin();
}

/** Number of brokers the cluster's metadata lists, asked through `brokers` (direct listeners). */
export async function brokersInMetadata(brokers: string[]): Promise<number> {
  const admin = quietAdmin(brokers);
  try {
    await admin.connect();
    return (await admin.describeCluster()).brokers.length;
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}

/** Envoy's routing view (per listener, per host), or undefined when its admin API does not answer. */
export async function readRoutingOrUndefined(adminUrl: string, topology: Topology): Promise<RoutingSnapshot | undefined> {
  try {
    return await readRouting(adminUrl, topology);
  } catch {
    return undefined;
  }
}

/** Every upstream host Envoy knows is healthy, and there are `expected` of them. */
export function allHostsHealthy(snapshot: RoutingSnapshot | undefined, expected: number): boolean {
  const hosts = snapshot?.listeners.flatMap((l) => l.hosts) ?? [];
  return hosts.length === expected && hosts.every((h) => h.healthy);
}
