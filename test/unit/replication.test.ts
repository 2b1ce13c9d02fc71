/**
 * The replicator's pure parts: MirrorMaker 2's properties for each flow, the position record it resumes
 * from (byte for byte as MM2 writes it: captured from a real MirrorMaker 2 3.9.1 run's
 * mm2-offsets.primary.internal topic), lag from end offsets, its config's checks, and the rendered
 * replicator and controller configs.
 */
import { describe, expect, it } from 'vitest';
import { defaultTopology } from '../../src/config/topology.js';
import { buildControllerConfig } from '../../src/render/controller.js';
import { buildReplicatorConfig } from '../../src/render/replicator.js';
import { parseReplicatorConfig } from '../../src/replication/config.js';
import { FORWARD, REVERSE, connectOffsetsTopic, renderMm2Properties, sourceOffsetKey, sourceOffsetValue } from '../../src/replication/mm2-properties.js';
import { lagOf, totalOf } from '../../src/replication/offsets.js';
import { parseConfig } from '../../src/controller/config.js';

function shadowTopology() {
  const t = defaultTopology();
  t.replication = { ...t.replication, mode: 'shadow' };
  return t;
}

const props = (text: string) => Object.fromEntries(text.split('\n').filter((l) => l.includes(' = ')).map((l) => l.split(' = ') as [string, string]));

describe('MirrorMaker 2 properties', () => {
  const c = parseReplicatorConfig(buildReplicatorConfig(shadowTopology(), { target: 'local', kafkaLibs: '/libs', workDir: '/w' }));

  it('forward: primary -> secondary only, identity policy, group offsets synced every second, the demo topics', () => {
    const p = props(renderMm2Properties(c, FORWARD));
    expect(p['primary->secondary.enabled']).toBe('true');
    expect(p['secondary->primary.enabled']).toBe('false');
    expect(p['replication.policy.class']).toBe('org.apache.kafka.connect.mirror.IdentityReplicationPolicy');
    expect(p['sync.group.offsets.enabled']).toBe('true');
    expect(p['sync.group.offsets.interval.seconds']).toBe('1');
    expect(p['primary->secondary.topics']).toBe('test-topic');
    expect(p['primary.bootstrap.servers']).toBe('127.0.0.1:19001,127.0.0.1:19011,127.0.0.1:19021');
    expect(p['secondary.producer.acks']).toBe('all');
  });

  it('reverse: secondary -> primary only', () => {
    const p = props(renderMm2Properties(c, REVERSE));
    expect(p['secondary->primary.enabled']).toBe('true');
    expect(p['primary->secondary.enabled']).toBe('false');
    expect(p['primary.producer.acks']).toBe('all');
  });

  it('the position record is the one MirrorMaker 2 itself writes, and resumes at the given offset', () => {
    // Key and value as read back from mm2-offsets.primary.internal after a real MM2 3.9.1 run copied 334 records.
    expect(sourceOffsetKey(FORWARD, 'test-topic', 0)).toBe('["MirrorSourceConnector",{"cluster":"primary","partition":0,"topic":"test-topic"}]');
    expect(sourceOffsetValue(334)).toBe('{"offset":333}');
    expect(connectOffsetsTopic(FORWARD)).toBe('mm2-offsets.primary.internal');
    expect(connectOffsetsTopic(REVERSE)).toBe('mm2-offsets.secondary.internal');
    // An empty partition: -1, which MM2 treats as "no position" and starts at the beginning (offset 0).
    expect(sourceOffsetValue(0)).toBe('{"offset":-1}');
  });
});

describe('lag', () => {
  it('counts records written to the source since the flow began minus records the flow wrote to the target', () => {
    const lag = lagOf({ t: [110, 50] }, { t: [205, 40] }, { t: [100, 40] }, { t: [200, 35] });
    expect(lag).toEqual({ t: [5, 5] });
    expect(totalOf(lag)).toBe(10);
  });

  it('never below 0 (a re-copied record after a restart counts as copied)', () => {
    expect(lagOf({ t: [10] }, { t: [12] }, { t: [0] }, { t: [0] })).toEqual({ t: [0] });
  });
});

describe("the replicator's config", () => {
  it('names the key and what it must be', () => {
    expect(() => parseReplicatorConfig({})).toThrow('replicator config: listen must be an object {address, port}');
    const ok = buildReplicatorConfig(shadowTopology(), { target: 'docker', kafkaLibs: '/libs', workDir: '/w' });
    expect(() => parseReplicatorConfig({ ...ok, topics: [] })).toThrow('topics must be a non-empty list of strings');
  });

  it('docker: the brokers by their in-network names', () => {
    const c = parseReplicatorConfig(buildReplicatorConfig(shadowTopology(), { target: 'docker', kafkaLibs: '/libs', workDir: '/w' }));
    expect(c.clusters.secondary.bootstrap).toEqual(['secondary-broker-0:9092', 'secondary-broker-1:9092', 'secondary-broker-2:9092']);
    expect(c.listen.address).toBe('0.0.0.0');
  });
});

describe("the controller's replication hook", () => {
  it('is rendered only with replication, and makes failback manual', () => {
    expect(buildControllerConfig(defaultTopology(), 'local').replication).toBeUndefined();
    const c = buildControllerConfig(shadowTopology(), 'local');
    expect(c.failback).toBe('manual');
    const parsed = parseConfig(JSON.parse(JSON.stringify(c)), '/etc/ctl');
    expect(parsed.replication).toEqual({ url: 'http://127.0.0.1:9903', promoteTimeoutMs: 5_000, failbackTimeoutMs: 30_000, fenced: '/etc/ctl/lds-choices/fenced.yaml' });
  });
});

describe('an idempotent producer after a cluster switch', () => {
  it('is renewed once the client names another cluster, and only then; never when not idempotent', async () => {
    const { ProducerIdCluster } = await import('../../src/kafka/producer-client.js');
    const p = new ProducerIdCluster(true);
    expect(p.switched(undefined)).toBe(false);
    expect(p.switched('primary-id')).toBe(false);
    expect(p.switched('primary-id')).toBe(false);
    expect(p.switched('secondary-id')).toBe(true);
    p.renewed('secondary-id');
    expect(p.switched('secondary-id')).toBe(false);
    const plain = new ProducerIdCluster(false);
    plain.switched('primary-id');
    expect(plain.switched('secondary-id')).toBe(false);
  });
});

describe("the drill's consumer gaps under replication", () => {
  it('count per partition, between the first and last received there; lost-to-lag messages and an unread tail are no gaps', async () => {
    const { consumerGapsOf } = await import('../../src/drill/replication.js');
    const acks = Array.from({ length: 12 }, (_, seq) => ({ at: seq, cluster: 'primary', seq }));
    // 3 partitions (seq mod 3). Partition 0 received 0, 3, 9 (6 missing); partition 1: 1, 4, 7 (its tail 10 unread);
    // partition 2: 2, 8 (5 lost to replication lag).
    const received = new Set([0, 3, 9, 1, 4, 7, 2, 8]);
    expect(consumerGapsOf(acks, received, 3, new Set([5]))).toEqual([6]);
  });
});
