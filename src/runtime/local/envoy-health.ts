/**
 * Envoy's view of each upstream endpoint, read from `/clusters?format=json`: which host of which Envoy
 * cluster is healthy. Used for start-up readiness and `status`. (The routing model proper — priority
 * load, split detection — lives in src/envoy/.)
 */
export interface EndpointHealth {
  /** Envoy cluster, e.g. broker_0_cluster. */
  cluster: string;
  /** "127.0.0.1:19000" */
  address: string;
  priority: number;
  healthy: boolean;
  /** Envoy's failure flags, e.g. failed_active_health_check. */
  flags: string[];
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

export function endpointHealth(clustersDoc: unknown): EndpointHealth[] {
  const out: EndpointHealth[] = [];
  const clusters = isObj(clustersDoc) && Array.isArray(clustersDoc.cluster_statuses) ? clustersDoc.cluster_statuses : [];
  for (const c of clusters) {
    if (!isObj(c) || typeof c.name !== 'string') continue;
    for (const h of Array.isArray(c.host_statuses) ? c.host_statuses : []) {
      if (!isObj(h)) continue;
      const sa = isObj(h.address) && isObj(h.address.socket_address) ? h.address.socket_address : {};
      const hs = isObj(h.health_status) ? h.health_status : {};
      const flags = Object.entries(hs)
        .filter(([k, v]) => k !== 'eds_health_status' && v === true)
        .map(([k]) => k);
      const eds = hs.eds_health_status;
      out.push({
        cluster: c.name,
        address: `${String(sa.address ?? '?')}:${String(sa.port_value ?? '?')}`,
        priority: Number(h.priority ?? 0),
        healthy: flags.length === 0 && (eds === undefined || eds === 'HEALTHY'),
        flags,
      });
    }
  }
  return out;
}
