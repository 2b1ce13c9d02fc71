/**
 * Users' own clusters (`--clusters FILE`): the file read against its schema (./clusters-schema.ts), the
 * demo's defaults filled in, every problem found at once (./clusters-checks.ts), and the result as the
 * demo's topology (brokers per cluster, rewrite strategy, health-check timings, Envoy, failover policy)
 * plus what only users' clusters have: each broker's address and node id, and how each cluster is checked.
 *
 * Broker i of the primary and broker i of the secondary (in the order the file lists them) share Envoy
 * listener i, as primary-broker-i and secondary-broker-i do in the demo; `id` is the broker's Kafka
 * node id, which the kafka-filter strategy rewrites by.
 */
import { ConfigError, readFileProblems } from './load.js';
import { clustersObject, splitAddress, type HealthCheckKind } from './clusters-schema.js';
import { checkClusters } from './clusters-checks.js';
import { documentSchemaOf } from './file-form.js';
import { schemaPathsOf } from './reference.js';
import { CLUSTER_NAMES, defaultTopology, type ClusterName, type Topology } from './topology.js';
import { applyPatch, readDocumentWith, unknownKeyMessage, type ConfigProblem } from './validate.js';

export type { HealthCheckKind } from './clusters-schema.js';

export interface ExternalBroker {
  id: number;
  host: string;
  port: number;
  /** Its own health-check port (brokers sharing a host), else its cluster's check.port. */
  healthCheckPort?: number;
  /** A listener that advertises the broker itself (reads without Envoy), when `port` advertises Envoy. */
  direct?: { host: string; port: number };
}

/** How Envoy checks each broker of one cluster, defaults filled in per kind. */
export interface ClusterCheck {
  kind: HealthCheckKind;
  /** HTTP kinds only. */
  path?: string;
  /** Absent for tcp without a port: the broker's Kafka port. */
  port?: number;
  /** Present when the check goes over TLS. */
  tls?: { sni?: string; caFile?: string };
}

export interface ExternalCluster {
  brokers: ExternalBroker[];
  check: ClusterCheck;
}

export type ServiceType = 'ClusterIP' | 'NodePort' | 'LoadBalancer';

/** Everything `render --clusters` renders from. */
export interface ExternalSetup {
  name: string;
  /** The demo's model of these clusters: `brokers` is the count per cluster. */
  topology: Topology;
  clusters: Record<ClusterName, ExternalCluster>;
  exposeAdmin: boolean;
  kubernetes: { namespace?: string; serviceType: ServiceType };
}

/** What a check of each kind probes when the file does not say. */
export const CHECK_DEFAULTS: Record<HealthCheckKind, { path?: string; port?: number }> = {
  schemaRegistry: { path: '/schemas/types', port: 8081 },
  redpandaAdmin: { path: '/v1/status/ready', port: 9644 },
  tcp: {},
};

export const CLUSTERS_DEFAULTS = { name: 'failover-envoy', kind: 'schemaRegistry' as HealthCheckKind, exposeAdmin: false, serviceType: 'ClusterIP' as ServiceType };

type Obj = Record<string, unknown>;
const at = (o: unknown, key: string): Obj => ((o as Obj | undefined)?.[key] ?? {}) as Obj;

/** The file's settings on the demo's topology: the keys the two share, and the broker count. */
function topologyOf(patch: Obj, brokers: number, env: Record<string, string | undefined>): Topology {
  const { kind: _k, path: _p, port: _port, tls: _t, ...timings } = at(patch, 'healthCheck');
  const { exposeAdmin: _e, ...envoy } = at(patch, 'envoy');
  const shared = Object.fromEntries(['rewrite', 'bindAddress', 'panicThresholdPercent', 'outlierDetection', 'failover'].filter((k) => k in patch).map((k) => [k, patch[k]]));
  return applyPatch(defaultTopology(env), { ...shared, healthCheck: timings, envoy, brokers: Math.max(brokers, 1) });
}

/** A cluster's check: the top-level healthCheck's keys, then the cluster's own, then the kind's defaults. */
function checkOf(patch: Obj, cluster: ClusterName): ClusterCheck & { from: Record<string, string> } {
  const top = at(patch, 'healthCheck');
  const own = at(at(at(patch, 'clusters'), cluster), 'healthCheck');
  const from = Object.fromEntries(['kind', 'path', 'port', 'tls'].map((k) => [k, k in own ? `clusters.${cluster}.healthCheck.${k}` : `healthCheck.${k}`]));
  const read = { ...top, ...own } as { kind?: HealthCheckKind; path?: string; port?: number; tls?: { enabled?: boolean; sni?: string; caFile?: string } };
  const kind = read.kind ?? CLUSTERS_DEFAULTS.kind;
  const path = read.path ?? CHECK_DEFAULTS[kind].path;
  const port = read.port ?? CHECK_DEFAULTS[kind].port;
  const tls = read.tls?.enabled ? { ...(read.tls.sni ? { sni: read.tls.sni } : {}), ...(read.tls.caFile ? { caFile: read.tls.caFile } : {}) } : undefined;
  return { kind, ...(path === undefined ? {} : { path }), ...(port === undefined ? {} : { port }), ...(tls ? { tls } : {}), from };
}

/** The setup a valid document describes (missing clusters read as empty: the checks say so). */
export function setupOf(patch: Obj, env: Record<string, string | undefined> = {}): ExternalSetup & { from: Record<ClusterName, Record<string, string>> } {
  const brokersIn = (c: ClusterName) => ((at(at(patch, 'clusters'), c).brokers ?? []) as { id: number; address: string; healthCheckPort?: number; directAddress?: string }[]).map((b) => ({
      id: b.id,
      ...splitAddress(b.address)!,
      ...(b.healthCheckPort === undefined ? {} : { healthCheckPort: b.healthCheckPort }),
      ...(b.directAddress === undefined ? {} : { direct: splitAddress(b.directAddress)! }),
    }));
  const checks = { primary: checkOf(patch, 'primary'), secondary: checkOf(patch, 'secondary') };
  const clusters = Object.fromEntries(CLUSTER_NAMES.map((c) => [c, { brokers: brokersIn(c), check: (({ from: _f, ...check }) => check)(checks[c]) }])) as Record<ClusterName, ExternalCluster>;
  const k8s = at(patch, 'kubernetes');
  return {
    name: (patch.name as string | undefined) ?? CLUSTERS_DEFAULTS.name,
    topology: topologyOf(patch, clusters.primary.brokers.length, env),
    clusters,
    exposeAdmin: (at(patch, 'envoy').exposeAdmin as boolean | undefined) ?? CLUSTERS_DEFAULTS.exposeAdmin,
    kubernetes: { ...(k8s.namespace ? { namespace: k8s.namespace as string } : {}), serviceType: (k8s.serviceType as ServiceType | undefined) ?? CLUSTERS_DEFAULTS.serviceType },
    from: { primary: checks.primary.from, secondary: checks.secondary.from },
  };
}

const clustersFileSchema = documentSchemaOf(clustersObject);
const clustersPaths = schemaPathsOf(clustersObject);

/** A parsed clusters document: the setup and every problem with it, in the document's order then the checks'. */
export function readClustersDocument(doc: unknown, env: Record<string, string | undefined> = {}): { setup: ExternalSetup; problems: ConfigProblem[] } {
  const { patch, problems } = readDocumentWith(doc, clustersFileSchema, (key, where) => unknownKeyMessage(key, where, clustersPaths));
  const { from, ...setup } = setupOf(patch, env);
  const fileProblems = new Set(problems.map((p) => p.path));
  return { setup, problems: [...problems, ...checkClusters(patch, setup, from, fileProblems)] };
}

export const CLUSTERS_HINT = 'README "Your own clusters" explains every key; examples/clusters.yaml is a complete file; durations are written like "3s"';

/** The clusters file read and checked; throws ConfigError listing every problem. */
export function loadClusters(file: string, env: Record<string, string | undefined> = process.env): ExternalSetup {
  const read = readFileProblems(file, '--clusters');
  const { setup, problems } = read.problems.length > 0 ? { setup: undefined, problems: read.problems } : readClustersDocument(read.doc, env);
  if (problems.length > 0 || !setup) throw new ConfigError(problems.map((p) => (p.path ? `${p.path}: ${p.message}` : p.message)), file, 'clusters file', CLUSTERS_HINT);
  return setup;
}
