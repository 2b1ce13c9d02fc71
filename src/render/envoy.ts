/**
 * Topology → Envoy bootstrap config (envoy.yaml). Pure: no I/O.
 *
 * One Envoy cluster per broker position i (`broker_<i>_cluster`): primary-broker-i at priority 0,
 * secondary-broker-i at priority 1, health-checked over HTTP on each broker's Schema Registry.
 *
 * Targets:
 * - `docker`: two listener sets. The in-network set (0.0.0.0:listenerPort+i) serves clients inside the
 *   Docker network; the host-facing set (0.0.0.0:hostListenerPort+i) is what the host's published
 *   bindAddress:(listenerPort+i) reaches. Each set must hand out addresses its clients can reach:
 *   - `kafka-filter`: the contrib kafka_broker filter rewrites broker ids to envoy:(listenerPort+i) on the
 *     in-network set and advertisedHost:(listenerPort+i) on the host set; both sets share the clusters.
 *   - `advertised`: no filter; the brokers advertise Envoy's addresses themselves, on two Kafka listeners
 *     (proxiedKafkaPort for in-network clients, hostKafkaPort for host clients), so each set has its own
 *     clusters (`broker_<i>_cluster` on proxiedKafkaPort, `broker_<i>_host_cluster` on hostKafkaPort).
 *     The brokers' first Kafka listener (kafkaPort) advertises the broker itself, for Redpanda's own
 *     clients; Envoy does not use it with this strategy.
 * - `local`: everything on 127.0.0.1, always the `advertised` strategy (the PyPI Envoy is the standard
 *   build, without contrib filters), brokers at their localPorts().
 */
import { stringify } from 'yaml';
import {
  brokersOf,
  envoyClusterName,
  localPorts,
  type BrokerRef,
  type ClusterName,
  type Topology,
} from '../config/topology.js';
import {
  brokerEnvoyClusterName,
  cluster,
  envoyListenerName,
  kafkaBrokerFilter,
  listener,
  socketAddress,
  tcpProxy,
  type Json,
  type UpstreamEndpoint,
} from './envoy-parts.js';

import { externalClusters, externalListeners, externalPerBrokerConfig, type ExternalRender } from './envoy-external.js';

export { brokerEnvoyClusterName, envoyListenerName, UPSTREAM_CONNECT_TIMEOUT_MS } from './envoy-parts.js';

/** `external`: users' own clusters (./envoy-external.ts), which need `EnvoyRenderOptions.external`. */
export type RenderTarget = 'docker' | 'local' | 'external';

/** Name of the host-facing Envoy cluster of position i (docker target, `advertised` strategy). */
export function envoyHostClusterName(index: number): string {
  return `broker_${index}_host_cluster`;
}

/** Docker-network host name of the Envoy container (what in-network clients bootstrap from). */
export const ENVOY_DOCKER_HOST = 'envoy';

function positions(t: Topology): number[] {
  return Array.from({ length: t.brokers }, (_, i) => i);
}

function brokersAt(t: Topology, index: number): BrokerRef[] {
  return brokersOf(t).filter((b) => b.index === index);
}

/** The demo's Kafka filter: every broker id (= position) rewritten to `host:(firstPort + id)`. */
function demoKafkaFilter(t: Topology, statPrefix: string, host: string, firstPort: number): Json {
  return kafkaBrokerFilter(statPrefix, positions(t).map((id) => ({ id, host, port: firstPort + id })));
}

function localConfig(t: Topology): Json {
  const loopback = '127.0.0.1';
  return {
    admin: { address: socketAddress(loopback, t.envoy.adminPort) },
    static_resources: {
      listeners: positions(t).map((i) =>
        listener(t, envoyListenerName(i), loopback, t.envoy.listenerPort + i, [
          tcpProxy(`broker_${i}_tcp`, envoyClusterName(i)),
        ]),
      ),
      clusters: positions(t).map((i) =>
        cluster(
          t,
          envoyClusterName(i),
          'STATIC',
          brokersAt(t, i).map((broker) => ({
            broker,
            address: loopback,
            port: localPorts(t, broker).client,
            healthCheckPort: localPorts(t, broker).schemaRegistry,
          })),
        ),
      ),
    },
  };
}

function dockerConfig(t: Topology): Json {
  const any = '0.0.0.0';
  const filterStrategy = t.rewrite === 'kafka-filter';
  const upstreams = (i: number, port: number): UpstreamEndpoint[] =>
    brokersAt(t, i).map((broker) => ({ broker, address: broker.name, port, healthCheckPort: t.healthCheck.port }));

  const networkListeners = positions(t).map((i) =>
    listener(t, envoyListenerName(i), any, t.envoy.listenerPort + i, [
      ...(filterStrategy ? [demoKafkaFilter(t, `broker_${i}_kafka`, ENVOY_DOCKER_HOST, t.envoy.listenerPort)] : []),
      tcpProxy(`broker_${i}_tcp`, envoyClusterName(i)),
    ]),
  );
  const hostListeners = positions(t).map((i) =>
    listener(t, envoyListenerName(i, 'host'), any, t.envoy.hostListenerPort + i, [
      ...(filterStrategy
        ? [demoKafkaFilter(t, `broker_${i}_host_kafka`, t.envoy.advertisedHost, t.envoy.listenerPort)]
        : []),
      tcpProxy(`broker_${i}_host_tcp`, filterStrategy ? envoyClusterName(i) : envoyHostClusterName(i)),
    ]),
  );
  const networkClusters = positions(t).map((i) =>
    cluster(t, envoyClusterName(i), 'STRICT_DNS', upstreams(i, filterStrategy ? t.redpanda.kafkaPort : t.redpanda.proxiedKafkaPort)),
  );
  const hostClusters = filterStrategy
    ? []
    : positions(t).map((i) => cluster(t, envoyHostClusterName(i), 'STRICT_DNS', upstreams(i, t.redpanda.hostKafkaPort)));

  return {
    admin: { address: socketAddress(any, t.envoy.adminPort) },
    static_resources: {
      listeners: [...networkListeners, ...hostListeners],
      clusters: [...networkClusters, ...hostClusters],
    },
  };
}

// ---------------------------------------------------------------------------------------------------
// coherent policy: one Envoy cluster per broker, listeners from a file the failover controller swaps

/** Where Envoy reads its listeners from under `coherent` (the docker target's path inside the container). */
export const DOCKER_LDS_DIR = '/etc/envoy/lds';
export const LDS_FILE = 'listeners.yaml';

export interface EnvoyRenderOptions {
  /** Folder Envoy watches for its listener file (coherent). Default: the docker path; the local runtime passes its own. */
  ldsDir?: string;
  /** The `external` target's clusters and sockets. */
  external?: ExternalRender;
}

function externalOf(opts: EnvoyRenderOptions): ExternalRender {
  if (!opts.external) throw new Error('the external target needs EnvoyRenderOptions.external');
  return opts.external;
}

function adminAddress(target: RenderTarget, opts: EnvoyRenderOptions): string {
  return target === 'external' ? externalOf(opts).placement.adminAddress : target === 'local' ? '127.0.0.1' : '0.0.0.0';
}

/** Envoy clusters under `coherent`: each broker on its own, health-checked; which sets depends on the target. */
function coherentClusters(t: Topology, target: RenderTarget): Json[] {
  if (target === 'local') {
    return brokersOf(t).map((broker) =>
      cluster(t, brokerEnvoyClusterName(broker), 'STATIC', [{ broker, address: '127.0.0.1', port: localPorts(t, broker).client, healthCheckPort: localPorts(t, broker).schemaRegistry }], { single: true }),
    );
  }
  const filterStrategy = t.rewrite === 'kafka-filter';
  const one = (broker: BrokerRef, port: number) => [{ broker, address: broker.name, port, healthCheckPort: t.healthCheck.port }];
  return brokersOf(t).flatMap((broker) => [
    cluster(t, brokerEnvoyClusterName(broker), 'STRICT_DNS', one(broker, filterStrategy ? t.redpanda.kafkaPort : t.redpanda.proxiedKafkaPort), { single: true }),
    ...(filterStrategy ? [] : [cluster(t, brokerEnvoyClusterName(broker, 'host'), 'STRICT_DNS', one(broker, t.redpanda.hostKafkaPort), { single: true })]),
  ]);
}

/**
 * Every listener, routed to the brokers of `active` (one per position): what the failover controller
 * puts in place. The filter chain names the cluster, so a switch changes it and Envoy drains the
 * listener, closing the connections to the old cluster.
 */
export function buildListeners(t: Topology, target: RenderTarget, active: ClusterName, opts: EnvoyRenderOptions = {}): Json[] {
  if (target === 'external') return externalListeners(externalOf(opts), active);
  const at = (i: number): BrokerRef => brokersOf(t, active).find((b) => b.index === i)!;
  if (target === 'local') {
    return positions(t).map((i) =>
      listener(t, envoyListenerName(i), '127.0.0.1', t.envoy.listenerPort + i, [tcpProxy(`broker_${i}_tcp`, brokerEnvoyClusterName(at(i)))]),
    );
  }
  const any = '0.0.0.0';
  const filterStrategy = t.rewrite === 'kafka-filter';
  return [
    ...positions(t).map((i) =>
      listener(t, envoyListenerName(i), any, t.envoy.listenerPort + i, [
        ...(filterStrategy ? [demoKafkaFilter(t, `broker_${i}_kafka`, ENVOY_DOCKER_HOST, t.envoy.listenerPort)] : []),
        tcpProxy(`broker_${i}_tcp`, brokerEnvoyClusterName(at(i))),
      ]),
    ),
    ...positions(t).map((i) =>
      listener(t, envoyListenerName(i, 'host'), any, t.envoy.hostListenerPort + i, [
        ...(filterStrategy ? [demoKafkaFilter(t, `broker_${i}_host_kafka`, t.envoy.advertisedHost, t.envoy.listenerPort)] : []),
        tcpProxy(`broker_${i}_host_tcp`, brokerEnvoyClusterName(at(i), filterStrategy ? 'network' : 'host')),
      ]),
    ),
  ];
}

/** The listener file (an LDS discovery response) for `active`. */
export function renderListenerFile(t: Topology, target: RenderTarget, active: ClusterName, opts: EnvoyRenderOptions = {}): string {
  const head = [
    `# Envoy's listeners with every broker position routed to the ${active} cluster, rendered by \`failover-demo render\`.`,
    '# The failover controller copies the file of the cluster it decides for over lds/listeners.yaml (an atomic rename);',
    '# Envoy reloads it and drains the listeners, closing client connections to the other cluster.',
    '',
    '',
  ].join('\n');
  const doc = {
    resources: buildListeners(t, target, active, opts).map((l) => ({ '@type': 'type.googleapis.com/envoy.config.listener.v3.Listener', ...l })),
  };
  return head + stringify(doc, { lineWidth: 0, aliasDuplicateObjects: false });
}

function coherentConfig(t: Topology, target: RenderTarget, opts: EnvoyRenderOptions): Json {
  const ldsDir = opts.ldsDir ?? DOCKER_LDS_DIR;
  return {
    node: { id: 'failover-demo-envoy', cluster: 'failover-demo' },
    admin: { address: socketAddress(adminAddress(target, opts), t.envoy.adminPort) },
    static_resources: { clusters: target === 'external' ? externalClusters(externalOf(opts).setup) : coherentClusters(t, target) },
    dynamic_resources: {
      lds_config: {
        resource_api_version: 'V3',
        path_config_source: { path: `${ldsDir}/${LDS_FILE}`, watched_directory: { path: ldsDir } },
      },
    },
  };
}

/** The Envoy bootstrap config as a plain object (what envoy.yaml holds). */
export function buildEnvoyConfig(t: Topology, target: RenderTarget, opts: EnvoyRenderOptions = {}): Json {
  if (t.failover.policy === 'coherent') return coherentConfig(t, target, opts);
  if (target === 'external') return externalPerBrokerConfig(externalOf(opts));
  return target === 'local' ? localConfig(t) : dockerConfig(t);
}

function header(t: Topology, target: RenderTarget): string {
  const strategy = target === 'local' ? 'advertised (local runtime)' : t.rewrite;
  return [
    '# Rendered by `failover-demo render` from the topology; edit the config file and re-render instead.',
    `# Target: ${target}; metadata rewrite strategy: ${strategy}; ${t.brokers} broker position(s); failover policy: ${t.failover.policy}.`,
    ...(t.failover.policy === 'coherent'
      ? ['# coherent: one Envoy cluster per broker; the listeners come from lds/listeners.yaml, which the failover', '# controller replaces to move every listener to the other Redpanda cluster at once.']
      : []),
    ...(target !== 'local' && t.rewrite === 'kafka-filter'
      ? ['# Needs a contrib Envoy build (envoy.filters.network.kafka_broker), e.g. envoyproxy/envoy:contrib-*.']
      : []),
    '',
    '',
  ].join('\n');
}

/** envoy.yaml text for the given target. */
export function renderEnvoyConfig(t: Topology, target: RenderTarget, opts: EnvoyRenderOptions = {}): string {
  return header(t, target) + stringify(buildEnvoyConfig(t, target, opts), { lineWidth: 0, aliasDuplicateObjects: false });
}
