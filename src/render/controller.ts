/**
 * Topology → the failover controller's configuration (coherent policy). Pure: no I/O.
 *
 * The controller (src/controller/) reads Envoy's health of every broker, decides which Redpanda cluster
 * is active, and copies that cluster's listener file over the one Envoy watches. Paths in the file are
 * relative to the file itself, so the same layout works on the host and inside a container.
 */
import { brokersOf, CLUSTER_NAMES, effectiveQuorum, type ClusterName, type Topology } from '../config/topology.js';
import { brokerEnvoyClusterName, ENVOY_DOCKER_HOST, LDS_FILE, type RenderTarget } from './envoy.js';
import { REPLICATOR_SERVICE } from './replicator.js';

/** Folder names next to the controller's config file: the watched listener file and the two choices. */
export const LDS_DIR = 'lds';
export const LDS_CHOICES_DIR = 'lds-choices';
export const CONTROLLER_CONFIG_FILE = 'controller.json';
export const CONTROLLER_EVENTS_FILE = 'controller-events.jsonl';

/** The listener file with no listeners: the controller's fence while the primary catches up (replication). */
export const FENCED_CHOICE = `${LDS_CHOICES_DIR}/fenced.yaml`;

/** The controller's `replication` key: the replicator's API, and the fence. */
export function controllerReplicationHook(t: Topology, target: RenderTarget): Record<string, unknown> | undefined {
  if (t.replication.mode !== 'shadow') return undefined;
  const host = target === 'local' ? '127.0.0.1' : REPLICATOR_SERVICE;
  return { url: `http://${host}:${t.replication.replicatorPort}`, promoteTimeoutMs: 5_000, failbackTimeoutMs: t.replication.failbackTimeoutMs, fenced: FENCED_CHOICE };
}

export function listenerChoicePath(cluster: ClusterName): string {
  return `${LDS_CHOICES_DIR}/${cluster}.yaml`;
}

export interface ControllerConfig {
  adminUrl: string;
  listen: { address: string; port: number };
  quorum: number;
  failback: 'auto' | 'manual';
  failbackHoldMs: number;
  pollMs: number;
  clusters: Record<ClusterName, { broker: string; envoyClusters: string[] }[]>;
  lds: { file: string; choices: Record<ClusterName, string> };
  eventsFile: string;
  replication?: Record<string, unknown>;
}

/** How often the controller reads Envoy's health. */
export const CONTROLLER_POLL_MS = 100;

export function buildControllerConfig(t: Topology, target: RenderTarget): ControllerConfig {
  const hook = controllerReplicationHook(t, target);
  const sets = (c: ClusterName) =>
    brokersOf(t, c).map((b) => ({
      broker: b.name,
      envoyClusters: [
        brokerEnvoyClusterName(b),
        ...(target === 'docker' && t.rewrite === 'advertised' ? [brokerEnvoyClusterName(b, 'host')] : []),
      ],
    }));
  return {
    adminUrl: target === 'local' ? `http://127.0.0.1:${t.envoy.adminPort}` : `http://${ENVOY_DOCKER_HOST}:${t.envoy.adminPort}`,
    listen: { address: target === 'local' ? '127.0.0.1' : '0.0.0.0', port: t.failover.controllerPort },
    quorum: effectiveQuorum(t),
    // With replication a failback fences writers and waits for the primary to catch up: a person decides when.
    failback: t.replication.mode === 'shadow' ? 'manual' : t.failover.failback,
    failbackHoldMs: t.failover.failbackHoldMs,
    pollMs: CONTROLLER_POLL_MS,
    clusters: Object.fromEntries(CLUSTER_NAMES.map((c) => [c, sets(c)])) as ControllerConfig['clusters'],
    lds: {
      file: `${LDS_DIR}/${LDS_FILE}`,
      choices: Object.fromEntries(CLUSTER_NAMES.map((c) => [c, listenerChoicePath(c)])) as Record<ClusterName, string>,
    },
    eventsFile: CONTROLLER_EVENTS_FILE,
    ...(hook ? { replication: hook } : {}),
  };
}

export function renderControllerConfig(t: Topology, target: RenderTarget): string {
  return JSON.stringify(buildControllerConfig(t, target), null, 2) + '\n';
}
