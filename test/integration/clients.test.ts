/**
 * produce / consume against the real local rig (two Kafka 3.9 clusters, Schema Registry stand-ins, Envoy):
 * steady state through Envoy, and a producer + consumer riding through the loss of the whole primary cluster,
 * with every acknowledged message proven readable on the cluster that acknowledged it.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { brokersOf } from '../../src/config/topology.js';
import { FailoverConsumer } from '../../src/kafka/consumer.js';
import { FailoverProducer, type AckEvent } from '../../src/kafka/producer.js';
import { captureKafkajsCluster, createClient } from '../../src/kafka/client.js';
import { kafkajsUnfixedRemoveBroker } from '../../src/kafka/kafkajs-fixes.js';
import { sequencesOn } from '../../src/drill/ledger-scan.js';
import { verifyLedger } from '../../src/kafka/ledger.js';
import { createTopicOnClusters } from '../../src/kafka/topic.js';
import { PACKAGE_ROOT } from '../../src/util/paths.js';
import { waitFor } from '../../src/util/wait.js';
import { FAST_HEALTH_CHECK, startRig, type Rig } from './rig.js';
import { LINGER_LIMIT_MS, runCliUnforced } from '../support/cli-unforced.js';

const PORT_BASE = 24000;

let rig: Rig;
let scratch: string;

beforeAll(async () => {
  scratch = mkdtempSync(join(tmpdir(), 'failover-demo-clients-'));
  rig = await startRig({ name: 'clients', portBase: PORT_BASE, healthCheck: FAST_HEALTH_CHECK });
}, 300_000);

afterAll(async () => {
  await rig?.stop();
  if (scratch) rmSync(scratch, { recursive: true, force: true });
}, 120_000);

async function freshTopic(name: string): Promise<string> {
  const result = await createTopicOnClusters(rig.endpoints.direct, { topic: name, partitions: 3, replicationFactor: rig.topology.brokers });
  expect(result).toEqual({ primary: 'created', secondary: 'created' });
  return name;
}

interface PoolBroker {
  nodeId: number | null;
  metadata(topics?: string[]): Promise<unknown>;
}
interface BrokerPool {
  brokers: Record<string, PoolBroker>;
  seedBroker: PoolBroker;
  metadata: { topicMetadata: { topic: string; partitionMetadata: { partitionId: number; leader: number }[] }[] };
  refreshMetadata(topics: string[]): Promise<void>;
  removeBroker(destination: { host: string; port: number }): void;
}

describe('produce / consume through Envoy', () => {
  it('steady state: 5,000 messages produced and consumed through Envoy, no gaps, no duplicates', async () => {
    const topic = await freshTopic('clients-steady');
    const producer = new FailoverProducer({ bootstrap: rig.endpoints.bootstrap, direct: rig.endpoints.direct, topic, count: 5_000, ratePerSecond: 0 });
    const produced = await producer.run();
    expect(produced).toMatchObject({ sent: 5_000, acked: 5_000, failed: 0, ackedBy: { primary: 5_000, secondary: 0, unknown: 0 } });

    const consumer = new FailoverConsumer({ bootstrap: rig.endpoints.bootstrap, direct: rig.endpoints.direct, topic, from: 'earliest', count: 5_000, durationMs: 90_000 });
    const consumed = await consumer.run();
    expect(consumed).toMatchObject({ received: 5_000, gaps: 0, duplicates: 0, clusterSwitches: 0, receivedBy: { primary: 5_000, secondary: 0 } });
    expect(consumed.producers[produced.producerId]).toMatchObject({ distinct: 5_000, lowest: 0, highest: 4_999 });
  }, 120_000);

  it('CLI: produce --json --ledger, consume --json and verify-ledger agree', async () => {
    const topic = await freshTopic('clients-cli');
    const ledger = join(scratch, 'cli-ledger.jsonl');
    const p = await rig.cli(['produce', '--topic', topic, '--count', '300', '--rate', '0', '--json', '--ledger', ledger]);
    expect(p.stderr).toBe('');
    expect(p.exitCode).toBe(0);
    const produced = JSON.parse(p.stdout);
    expect(produced).toMatchObject({ sent: 300, acked: 300, failed: 0, ackedBy: { primary: 300, secondary: 0 } });
    expect(readFileSync(ledger, 'utf8').trim().split('\n')).toHaveLength(300);

    const c = await rig.cli(['consume', '--topic', topic, '--from', 'earliest', '--count', '300', '--duration', '60', '--json']);
    expect(c.exitCode).toBe(0);
    expect(JSON.parse(c.stdout)).toMatchObject({ received: 300, gaps: 0, duplicates: 0, clusterSwitches: 0 });

    const v = await rig.cli(['verify-ledger', ledger, '--json']);
    expect(v.exitCode).toBe(0);
    expect(JSON.parse(v.stdout)).toMatchObject({ checked: 300, missing: 0 });
  }, 120_000);

  it('CLI: Ctrl+C stops produce cleanly: flush, summary, exit 0', async () => {
    const ledger = join(scratch, 'sigint-ledger.jsonl');
    const child = execa(process.execPath, [join(PACKAGE_ROOT, 'bin', 'failover-demo.js'), 'produce', '--rate', '50', '--json', '--ledger', ledger], {
      env: { FAILOVER_DEMO_DIR: rig.project, NO_COLOR: '1' },
      reject: false,
      stdin: 'ignore',
      timeout: 60_000,
    });
    const ledgerLines = () => (existsSync(ledger) ? readFileSync(ledger, 'utf8').split('\n').filter(Boolean).length : 0);
    await waitFor(() => ledgerLines() >= 20, { timeoutMs: 45_000, what: 'the CLI producer to ack 20 messages' });
    child.kill('SIGINT');
    const r = await child;
    expect(r.exitCode).toBe(0);
    const summary = JSON.parse(String(r.stdout));
    expect(summary).toMatchObject({ interrupted: true, failed: 0 });
    expect(summary.acked).toBe(summary.sent);
    expect(summary.acked).toBe(ledgerLines());
    expect(String(r.stderr)).toBe('');
  }, 90_000);

  it('CLI: an unknown topic and a bad flag value give a clear error, no stack trace', async () => {
    const unknown = await rig.cli(['produce', '--topic', 'no-such-topic', '--count', '1']);
    expect(unknown.exitCode).toBe(1);
    expect(unknown.stderr).toContain('topic "no-such-topic" does not exist');
    expect(unknown.stderr).toContain('--create-topic');
    const bad = await rig.cli(['consume', '--on-switch', 'sometimes']);
    expect(bad.exitCode).toBe(1);
    expect(bad.stderr).toContain('--on-switch must be "committed", "earliest" or "latest"');
    for (const r of [unknown, bad]) expect(r.stderr).not.toMatch(/\n\s+at /);
  }, 60_000);

  it('kafkajs fix: a connection that closes while metadata refreshes leaves every broker filed under its own node, and every partition acks', async () => {
    const topic = await freshTopic('clients-seed-race');
    const [seedHost, seedPort] = rig.endpoints.bootstrap[0]!.split(':') as [string, string];
    // What a send's closed connection does in kafkajs (removeBroker of the seed's address), timed the way a
    // failover times it: while a metadata refresh waits for its response.
    const run = async (removeBroker: BrokerPool['removeBroker'] | undefined) => {
      const kafka = createClient({ brokers: rig.endpoints.bootstrap, clientId: 'seed-race', connectionTimeoutMs: 3_000, requestTimeoutMs: 10_000, retry: { retries: 3 } });
      const cluster = captureKafkajsCluster<{ brokerPool: BrokerPool }>(kafka);
      const producer = kafka.producer({ allowAutoTopicCreation: false });
      await producer.connect();
      try {
        for (const partition of [0, 1, 2]) await producer.send({ topic, acks: -1, messages: [{ value: 'warm-up', partition }] });
        const p = cluster()!.brokerPool;
        for (const broker of new Set(Object.values(p.brokers))) {
          const metadata = broker.metadata.bind(broker);
          broker.metadata = async (topics) => {
            (removeBroker ?? p.removeBroker).call(p, { host: seedHost, port: Number(seedPort) });
            return metadata(topics);
          };
        }
        await p.refreshMetadata([topic]);
        const filing = Object.entries(p.brokers).map(([key, broker]) => [key, String(broker.nodeId)]);
        const partitions = p.metadata.topicMetadata.find((t) => t.topic === topic)!.partitionMetadata;
        const leaders = [0, 1, 2].map((id) => String(partitions.find((m) => m.partitionId === id)!.leader));
        const acked: number[] = [];
        for (const partition of [0, 1, 2]) {
          const result = await producer.send({ topic, acks: -1, messages: [{ value: 'after', partition }] });
          acked.push(result.filter((r) => r.partition === partition).length);
        }
        return { filing, leaders, acked };
      } finally {
        await producer.disconnect();
      }
    };

    const fixed = await run(undefined);
    expect(fixed.filing.every(([key, nodeId]) => key === nodeId)).toBe(true);
    expect(fixed.acked).toEqual([1, 1, 1]);
    // kafkajs' own removeBroker, same steps: a broker filed under another node's id, and that node's
    // partitions resolve with no acknowledgement. This is the bug, so the check above is a real one.
    const unfixed = await run(kafkajsUnfixedRemoveBroker());
    const misfiled = new Set(unfixed.filing.filter(([key, nodeId]) => key !== nodeId).map(([key]) => key));
    expect(misfiled.size).toBeGreaterThan(0);
    expect(unfixed.acked).toEqual(unfixed.leaders.map((leader) => (misfiled.has(leader) ? 0 : 1)));
  }, 60_000);

  it('failover: a steady producer keeps acking on the secondary when every primary broker stops; every acked message is on the cluster that acked it; the consumer switches once', async () => {
    const topic = await freshTopic('clients-failover');
    const ledgerFile = join(scratch, 'failover-ledger.jsonl');
    const { bootstrap, direct } = rig.endpoints;

    const consumer = new FailoverConsumer({ bootstrap, direct, topic, from: 'earliest', onSwitch: 'earliest', durationMs: 120_000 });
    const received = new Set<number>();
    let receivedOnSecondary = 0;
    consumer.on('message', (m) => {
      received.add(m.seq);
      if (m.cluster === 'secondary') receivedOnSecondary++;
    });
    const consuming = consumer.run();

    const producer = new FailoverProducer({ bootstrap, direct, topic, ratePerSecond: 100, durationMs: 120_000, ledgerFile });
    const acks: AckEvent[] = [];
    producer.on('ack', (a) => acks.push(a));
    const producing = producer.run();
    if (process.env.CLIENTS_DEBUG) {
      const t0 = Date.now();
      const log = (...a: unknown[]) => console.error(((Date.now() - t0) / 1000).toFixed(2), ...a);
      producer.on('status', (s) => log('P', s.state, s.text));
      producer.on('failure', (f) => log('P FAIL', f.seqs.length, f.error));
      producer.on('clusterChange', (c) => log('P CHANGE', c.from, c.to));
      consumer.on('status', (s) => log('C', s.state, s.text));
      consumer.on('clusterSwitch', (c) => log('C SWITCH', c.from, c.to));
      const timer = setInterval(() => log('P', JSON.stringify(producer.stats()), 'C', JSON.stringify(consumer.stats())), 2000);
      void producing.finally(() => clearInterval(timer));
    }
    const ackedOn = (cluster: string) => acks.filter((a) => a.cluster === cluster).length;

    await waitFor(() => ackedOn('primary') >= 200 && received.size >= 100, { timeoutMs: 60_000, what: 'acks and receipts on the primary' });
    const primaries = brokersOf(rig.topology, 'primary').map((b) => b.name);
    const faultAt = Date.now();
    await Promise.all(primaries.map((name) => rig.runtime.stopBroker(name)));
    try {
      await waitFor(() => ackedOn('secondary') >= 300, { timeoutMs: 90_000, what: '300 acks on the secondary after the primary cluster stopped' });
      producer.stop();
      const produced = await producing;
      // It keeps going: sends whose retries ran out while no cluster answered are reported, not hidden, and
      // stay few (one CI run on a loaded machine saw 156 of several thousand; most runs see none).
      expect(produced.failed).toBeLessThan(produced.sent * 0.1);
      expect(produced.ackedBy.secondary).toBeGreaterThanOrEqual(300);
      expect(produced.firstAckAt.secondary).toBeGreaterThan(faultAt);
      expect(produced.clusterChanges.map((c) => [c.from, c.to])).toEqual([['primary', 'secondary']]);

      // on-switch earliest: every message on the secondary (read there directly, by content: the ground
      // truth, whatever label an ack got) reaches the consumer.
      const onSecondary = [...(await sequencesOn(direct.secondary, topic, producer.producerId))];
      expect(onSecondary.length).toBeGreaterThanOrEqual(300);
      await waitFor(() => onSecondary.every((s) => received.has(s)), {
        timeoutMs: 60_000,
        what: 'the consumer to receive every message on the secondary',
      }).catch((err) => {
        const notReceived = onSecondary.filter((s) => !received.has(s));
        throw new Error(`${err.message}: ${notReceived.length} not received (first ${notReceived.slice(0, 10).join(', ')}); consumer ${JSON.stringify(consumer.stats())}`);
      });
      // The consumer can read the secondary before its metadata (refreshed every metadataMaxAge) shows the
      // new cluster id: wait for it to notice the switch, and rejoin there, before stopping it.
      await waitFor(() => consumer.stats().clusterSwitches >= 1 && receivedOnSecondary > 0, {
        timeoutMs: 60_000,
        what: 'the consumer to notice the cluster switch and read on the secondary',
      });
      consumer.stop();
      const consumed = await consuming;
      expect(consumed.clusterSwitches).toBe(1);
      expect(consumed.switches[0]).toMatchObject({ from: 'primary', to: 'secondary' });
      expect(consumed.receivedBy.secondary).toBeGreaterThan(0);
    } finally {
      producer.stop();
      consumer.stop();
      await Promise.all(primaries.map((name) => rig.runtime.startBroker(name)));
    }

    const verification = await verifyLedger(ledgerFile, direct, { timeoutMs: 90_000 });
    expect(verification.missingSamples).toEqual([]);
    expect(verification.missing).toBe(0);
    expect(verification.checked).toBe(acks.length);
    // Every ack is at its acked partition and offset on one of the clusters, and in total on the cluster
    // that acked it. A label taken from metadata a moment old can name the other cluster around the switch:
    // the ledger check proves where each one really is, and only around the switch may labels be off.
    expect(verification.byCluster.secondary).toBe(ackedOn('secondary'));
    expect(verification.byCluster.primary).toBe(ackedOn('primary'));
    expect((verification.foundOn.primary ?? 0) + (verification.foundOn.secondary ?? 0)).toBe(acks.length);
    expect(verification.relabelled).toBeLessThanOrEqual(Math.max(50, acks.length * 0.05));
  }, 300_000);

  it('every command on a running demo exits on its own, without the forced exit (status, routing, produce, consume, verify-ledger, broker restart)', async () => {
    const topic = await freshTopic('exits-topic');
    const ledger = join(scratch, 'exits-ledger.jsonl');
    const commands = [
      ['status'],
      ['status', '--json'],
      ['routing', '--once', '--json'],
      ['produce', '--topic', topic, '--count', '20', '--rate', '50', '--ledger', ledger],
      ['consume', '--topic', topic, '--count', '20', '--from', 'earliest'],
      ['verify-ledger', ledger],
      ['broker', 'restart', 'secondary-broker-2'],
    ];
    for (const args of commands) {
      const r = await runCliUnforced(rig.project, args);
      const context = `${args.join(' ')}: exit ${r.code}, signal ${r.signal}\nstderr:\n${r.stderr.slice(-2000)}`;
      expect(r.code, context).toBe(0);
      expect(r.lingerMs, context).toBeDefined();
      expect(r.lingerMs!, context).toBeLessThan(LINGER_LIMIT_MS);
      expect(r.stderr, context).toContain('(debug): exited on its own');
    }
  }, 300_000);
});
