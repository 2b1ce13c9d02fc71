/**
 * MirrorMaker 2 (dedicated mode, Apache Kafka's `connect-mirror`) properties for one replication flow
 * between the demo's clusters. Pure: text from a config.
 *
 * - Identity replication policy: topics keep their names on the target, so clients switched by Envoy find
 *   the same topic. MM2 cannot tell a replicated record from a local one under this policy, so only one
 *   direction runs at a time (./replicator.ts switches them).
 * - Checkpoints and group offset sync every `syncIntervalMs`: a consumer group that is idle on the target
 *   gets its translated offsets there. Translation is not exact, so a resumed consumer lands at or before
 *   its real position: duplicates, never gaps.
 * - `offset.lag.max = 10`: an offset sync at least every 10 records, so a group's translated offset is
 *   at most about 10 records behind its real one (an offset sync for every record halved MM2's
 *   throughput on two cores).
 * - Connect's own offsets are flushed every second: a restarted flow copies at most that much again.
 */
import type { ClusterName } from './config.js';
import type { ReplicatorConfig } from './config.js';

export type Flow = { source: ClusterName; target: ClusterName };

export const FORWARD: Flow = { source: 'primary', target: 'secondary' };
export const REVERSE: Flow = { source: 'secondary', target: 'primary' };

/** The topic on `flow.target` where MM2's source connector keeps its position in `flow.source`. */
export function connectOffsetsTopic(flow: Flow): string {
  return `mm2-offsets.${flow.source}.internal`;
}

/** Partitions MM2 creates its offsets topic with (Connect's offset.storage.partitions default). */
export const CONNECT_OFFSETS_PARTITIONS = 25;

/** The key MirrorSourceConnector stores its position under, byte for byte as Connect's JsonConverter writes it. */
export function sourceOffsetKey(flow: Flow, topic: string, partition: number): string {
  return JSON.stringify(['MirrorSourceConnector', { cluster: flow.source, partition, topic }]);
}

/** The value: the last offset copied (MM2 resumes at offset + 1). */
export function sourceOffsetValue(nextOffset: number): string {
  return JSON.stringify({ offset: nextOffset - 1 });
}

function escapeRegex(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** MirrorMaker 2 writes an offset sync at least every this many records (see the module comment). */
export const OFFSET_LAG_MAX = 10;

export function renderMm2Properties(c: ReplicatorConfig, flow: Flow): string {
  const { source, target } = flow;
  const rf = c.clusters[target].replicationFactor;
  const sync = Math.max(1, Math.round(c.syncIntervalMs / 1000));
  const lines: [string, string | number | boolean][] = [
    ['clusters', 'primary, secondary'],
    ['primary.bootstrap.servers', c.clusters.primary.bootstrap.join(',')],
    ['secondary.bootstrap.servers', c.clusters.secondary.bootstrap.join(',')],
    [`${source}->${target}.enabled`, true],
    [`${target}->${source}.enabled`, false],
    [`${source}->${target}.topics`, c.topics.map(escapeRegex).join('|')],
    [`${source}->${target}.groups`, '.*'],
    ['replication.policy.class', 'org.apache.kafka.connect.mirror.IdentityReplicationPolicy'],
    ['sync.group.offsets.enabled', true],
    ['sync.group.offsets.interval.seconds', sync],
    ['emit.checkpoints.interval.seconds', sync],
    ['emit.heartbeats.enabled', false],
    ['refresh.topics.interval.seconds', 5],
    ['refresh.groups.interval.seconds', sync],
    ['sync.topic.configs.enabled', false],
    ['sync.topic.acls.enabled', false],
    ['offset.lag.max', OFFSET_LAG_MAX],
    ['offset.flush.interval.ms', 1000],
    ['tasks.max', 1],
    ['replication.factor', rf],
    ['checkpoints.topic.replication.factor', rf],
    ['heartbeats.topic.replication.factor', rf],
    ['offset-syncs.topic.replication.factor', c.clusters[source].replicationFactor],
    ['offset.storage.replication.factor', rf],
    ['status.storage.replication.factor', rf],
    ['config.storage.replication.factor', rf],
    ['offset.storage.partitions', CONNECT_OFFSETS_PARTITIONS],
    // Every copied record acknowledged by all in-sync replicas of the target; the idempotent producer
    // keeps them in order with several requests in flight.
    [`${target}.producer.acks`, 'all'],
    [`${target}.producer.enable.idempotence`, true],
    [`${target}.producer.linger.ms`, 5],
    [`${source}.consumer.fetch.max.wait.ms`, 50],
  ];
  return [`# Written by failover-demo's replicator: ${source} -> ${target}. Rewritten at every direction change.`, ...lines.map(([k, v]) => `${k} = ${v}`), ''].join('\n');
}

/** log4j 1 properties for MM2: its own progress at INFO, the clients' chatter at WARN. */
export function mm2Log4jProperties(): string {
  return [
    'log4j.rootLogger=INFO, stdout',
    'log4j.appender.stdout=org.apache.log4j.ConsoleAppender',
    'log4j.appender.stdout.layout=org.apache.log4j.PatternLayout',
    'log4j.appender.stdout.layout.ConversionPattern=[%d] %p %m (%c)%n',
    'log4j.logger.org.apache.kafka.clients=WARN',
    'log4j.logger.org.apache.kafka.common=WARN',
    'log4j.logger.org.apache.kafka.connect.runtime.WorkerConfig=WARN',
    'log4j.logger.org.apache.kafka.connect.runtime.distributed.DistributedConfig=WARN',
    'log4j.logger.org.apache.kafka.connect.mirror.MirrorMakerConfig=WARN',
    'log4j.logger.org.reflections=ERROR',
    // Its schedulers log every run (each second) at INFO.
    'log4j.logger.org.apache.kafka.connect.mirror.Scheduler=WARN',
    '',
  ].join('\n');
}
