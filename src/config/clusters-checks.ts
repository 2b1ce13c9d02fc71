/**
 * Checks across keys of a clusters file (./clusters.ts): each problem once, at the key to change, with
 * the fix. Keys on their own were checked by the schema (./clusters-schema.ts); a check whose keys had
 * a problem there is skipped, so one mistake gives one message.
 */
import type { ConfigProblem } from './checks.js';
import type { ExternalSetup } from './clusters.js';
import { MAX_BROKERS } from './schema.js';
import { CLUSTER_NAMES, effectiveQuorum, type ClusterName } from './topology.js';

type Obj = Record<string, unknown>;
type Sources = Record<ClusterName, Record<string, string>>;

const brokersKey = (c: ClusterName) => `clusters.${c}.brokers`;

/** A cluster missing, or listing no broker. */
function checkPresent(patch: Obj, c: ClusterName): ConfigProblem[] {
  const section = (patch.clusters as Obj | undefined)?.[c] as Obj | undefined;
  if (!section) return [{ path: `clusters.${c}`, message: `is required: list the ${c} cluster's brokers under clusters.${c}.brokers, e.g. - { id: 0, address: "host:9092" }` }];
  const brokers = section.brokers as unknown[] | undefined;
  if (!brokers || brokers.length === 0) {
    return [{ path: brokersKey(c), message: `the ${c} cluster has no brokers; list each one as - { id: 0, address: "host:9092" } (Envoy needs at least one per cluster)` }];
  }
  return [];
}

/** Node ids used twice in one cluster. */
function checkIds(setup: ExternalSetup, c: ClusterName): ConfigProblem[] {
  const first = new Map<number, number>();
  return setup.clusters[c].brokers.flatMap((b, i) => {
    const before = first.get(b.id);
    if (before === undefined) return first.set(b.id, i) && [];
    return [{ path: `${brokersKey(c)}[${i}].id`, message: `broker id ${b.id} is already ${brokersKey(c)}[${before}]; each broker of a cluster has its own node id (its node_id)` }];
  });
}

/** One host:port listed twice, in one cluster or across both. */
function checkAddresses(setup: ExternalSetup): ConfigProblem[] {
  const first = new Map<string, string>();
  return CLUSTER_NAMES.flatMap((c) =>
    setup.clusters[c].brokers.flatMap((b, i) => {
      const address = `${b.host.toLowerCase()}:${b.port}`;
      const key = `${brokersKey(c)}[${i}].address`;
      const before = first.get(address);
      if (before === undefined) return first.set(address, key) && [];
      return [{ path: key, message: `${b.host}:${b.port} is already ${before.replace(/\.address$/, '')}; every broker has its own address` }];
    }),
  );
}

/** Both clusters the same size (Envoy pairs broker i of each on listener i), within the listener count. */
function checkCounts(setup: ExternalSetup): ConfigProblem[] {
  const [p, s] = CLUSTER_NAMES.map((c) => setup.clusters[c].brokers.length) as [number, number];
  const problems: ConfigProblem[] = [];
  if (p !== s) {
    problems.push({
      path: brokersKey('secondary'),
      message: `the primary has ${p} broker(s) and the secondary ${s}; Envoy pairs the i-th broker of each cluster on listener i, so list the same number in both`,
    });
  }
  if (Math.max(p, s) > MAX_BROKERS) problems.push({ path: brokersKey(p > MAX_BROKERS ? 'primary' : 'secondary'), message: `at most ${MAX_BROKERS} brokers per cluster (one Envoy listener each)` });
  return problems;
}

/** Settings the two clusters must share under `per-broker` or `kafka-filter`. */
function checkPairing(setup: ExternalSetup, from: Sources): ConfigProblem[] {
  const t = setup.topology;
  const [primary, secondary] = [setup.clusters.primary, setup.clusters.secondary];
  const problems: ConfigProblem[] = [];
  if (t.failover.policy === 'per-broker' && JSON.stringify({ ...primary.check, port: 0 }) !== JSON.stringify({ ...secondary.check, port: 0 })) {
    problems.push({
      path: 'clusters.secondary.healthCheck',
      message: "failover.policy per-broker puts broker i of both clusters in one Envoy cluster, which has one health check: give both clusters the same kind, path and tls (the port may differ), or use policy coherent",
    });
  }
  const ids = (c: ExternalSetup['clusters']['primary']) => c.brokers.map((b) => b.id).join(', ');
  if (t.failover.policy === 'per-broker' && t.rewrite === 'kafka-filter' && ids(primary) !== ids(secondary)) {
    problems.push({
      path: brokersKey('secondary'),
      message: `node ids by position are ${ids(secondary)} but the primary's are ${ids(primary)}: with rewrite kafka-filter and policy per-broker, listener i's filter rewrites one node id for both clusters, so list the brokers in the same id order (or use policy coherent)`,
    });
  }
  for (const c of CLUSTER_NAMES) {
    const check = setup.clusters[c].check;
    if (check.kind === 'tcp' && check.path !== undefined && !problems.some((p) => p.path === from[c]!.path)) {
      problems.push({ path: from[c]!.path!, message: 'a tcp check has no path: remove it, or use kind schemaRegistry or redpandaAdmin' });
    }
  }
  return problems.filter((p, i) => problems.findIndex((q) => q.path === p.path) === i);
}

/** Envoy's listeners, admin API and the controller's API on distinct ports, all within 1..65535. */
function checkPorts(setup: ExternalSetup): ConfigProblem[] {
  const t = setup.topology;
  const last = t.envoy.listenerPort + t.brokers - 1;
  const problems: ConfigProblem[] = [];
  if (last > 65535) problems.push({ path: 'envoy.listenerPort', message: `listener ${t.brokers - 1} would be on port ${last}, outside 1..65535; lower envoy.listenerPort` });
  const inListeners = (p: number) => p >= t.envoy.listenerPort && p <= last;
  if (inListeners(t.envoy.adminPort)) problems.push({ path: 'envoy.adminPort', message: `port ${t.envoy.adminPort} is one of the Kafka listeners (${t.envoy.listenerPort}..${last}); pick another` });
  if (t.failover.policy === 'coherent') {
    const c = t.failover.controllerPort;
    if (inListeners(c) || c === t.envoy.adminPort) problems.push({ path: 'failover.controllerPort', message: `port ${c} is already Envoy's (listeners ${t.envoy.listenerPort}..${last}, admin ${t.envoy.adminPort}); pick another` });
  }
  return problems;
}

function checkTls(patch: Obj): ConfigProblem[] {
  const places: [string, Obj | undefined][] = [
    ['healthCheck.tls', (patch.healthCheck as Obj | undefined)?.tls as Obj | undefined],
    ...CLUSTER_NAMES.map((c): [string, Obj | undefined] => [`clusters.${c}.healthCheck.tls`, ((((patch.clusters as Obj | undefined)?.[c] as Obj | undefined)?.healthCheck as Obj | undefined)?.tls) as Obj | undefined]),
  ];
  return places
    .filter(([, tls]) => tls && tls.enabled !== true && (tls.sni !== undefined || tls.caFile !== undefined))
    .map(([key]) => ({ path: `${key}.enabled`, message: 'is not true, so sni and caFile would be ignored: set enabled: true, or remove them' }));
}

/** Every problem across keys; `fileProblems`: paths the schema already complained about. */
export function checkClusters(patch: Obj, setup: ExternalSetup, from: Sources, fileProblems: Set<string>): ConfigProblem[] {
  const touched = (prefix: string) => [...fileProblems].some((p) => p === prefix || p.startsWith(`${prefix}.`) || p.startsWith(`${prefix}[`));
  const presence = CLUSTER_NAMES.filter((c) => !touched(brokersKey(c))).flatMap((c) => checkPresent(patch, c));
  const complete = presence.length === 0 && !touched('clusters');
  const t = setup.topology;
  return [
    ...presence,
    ...CLUSTER_NAMES.flatMap((c) => checkIds(setup, c)),
    ...checkAddresses(setup),
    ...(complete ? [...checkCounts(setup), ...checkPairing(setup, from)] : []),
    ...(complete && t.failover.quorum > t.brokers
      ? [{ path: 'failover.quorum', message: `a quorum of ${t.failover.quorum} cannot be reached with ${t.brokers} broker(s) per cluster; use at most ${t.brokers}, or 0 for a majority (${effectiveQuorum({ ...t, failover: { ...t.failover, quorum: 0 } })})` }]
      : []),
    ...checkPorts(setup),
    ...checkTls(patch),
  ];
}
