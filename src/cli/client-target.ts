/** Where `produce` / `consume` connect: the running demo, an address given, or users' own clusters. */
import { loadClusters } from '../config/clusters.js';
import type { ClusterName, Topology } from '../config/topology.js';
import { directOf, envoyBootstrapOf } from '../runtime/external/index.js';
import { currentState, openRuntime, resolveTopology } from './context.js';

/** Where the clients connect: the running demo's Envoy (or --bootstrap), its clusters' direct addresses, its topology. */
export interface Target {
  bootstrap: string[];
  direct: Partial<Record<ClusterName, string[]>>;
  topology?: Topology;
}

export function resolveTarget(bootstrap: string[] | undefined, clusters?: string): Target {
  if (clusters !== undefined) {
    // Your own clusters: through the Envoy clients reach (advertisedHost), each cluster named by its brokers.
    const setup = loadClusters(clusters);
    return { bootstrap: bootstrap ?? envoyBootstrapOf(setup), direct: directOf(setup), topology: setup.topology };
  }
  if (bootstrap !== undefined) {
    const state = currentState();
    const direct = state ? openRuntime().endpoints().direct : {};
    return { bootstrap, direct, topology: state?.topology ?? resolveTopology() };
  }
  const runtime = openRuntime();
  const endpoints = runtime.endpoints();
  return { bootstrap: endpoints.bootstrap, direct: endpoints.direct, topology: runtime.topology };
}

