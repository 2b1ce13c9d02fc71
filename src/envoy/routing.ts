/**
 * What Envoy actually routes where — the public face of the routing model, one module per concern:
 *
 * - ./routing-types.ts: the snapshot, its listeners and hosts, events, load-balancer settings;
 * - ./routing-snapshot.ts: a `/clusters?format=json` document → a snapshot (pure);
 * - ./routing-coherent.ts: `/config_dump` documents (listener targets, LB settings) and the coherent
 *   view built from them (pure);
 * - ./routing-events.ts: transitions between two snapshots, the monitor's event log (pure);
 * - ./routing-reader.ts: reading a live Envoy (and the failover controller's decision).
 */
export {
  MalformedClustersError,
  type ActiveCluster,
  type ClusterHealth,
  type ControllerDecision,
  type HostHealth,
  type HostRouting,
  type LbSettings,
  type ListenerRouting,
  type RoutingEvent,
  type RoutingOptions,
  type RoutingSnapshot,
} from './routing-types.js';
export { brokerClusterOf, clusterFromHostName, decodeHealthStatus, listenerIndex, listenerLabel, routingFromClusters } from './routing-snapshot.js';
export { coherentRouting, lbSettingsFromConfigDump, listenerTargetsFromConfigDump } from './routing-coherent.js';
export { describeHostState, newConnections, routingTransitions } from './routing-events.js';
export { readDecision, readLbSettings, readRouting, RoutingReader, START_TIME_REFRESH_MS } from './routing-reader.js';
