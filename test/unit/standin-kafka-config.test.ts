import { describe, expect, it } from 'vitest';
import { brokersOf, defaultTopology, directHostPort, localPorts } from '../../src/config/topology.js';
import { renderRedpandaYaml } from '../../src/render/redpanda.js';
import {
  kafkaServerProperties,
  kraftClusterId,
  parseRedpandaYaml,
  RedpandaYamlError,
} from '../../src/standin/kafka-config.js';
import { internalClientBootstrap } from '../../src/standin/internal-client.js';

// Inputs are what the real renderer writes (no hand-typed fixtures).
const t = defaultTopology({});
const props = (yaml: string, dataDir?: string) => Object.fromEntries(kafkaServerProperties(parseRedpandaYaml(yaml), { dataDir }));
const rendered = (name: string, target: 'local' | 'docker') => renderRedpandaYaml(t, brokersOf(t).find((b) => b.name === name)!, target);

describe('kafkaServerProperties (local target)', () => {
  const b = brokersOf(t).find((x) => x.name === 'secondary-broker-1')!;
  const p = localPorts(t, b);
  const cfg = props(rendered(b.name, 'local'), '/state/secondary-broker-1/data');

  it('runs a combined KRaft node whose id is the redpanda node_id', () => {
    expect(cfg['process.roles']).toBe('broker,controller');
    expect(cfg['node.id']).toBe('1');
  });

  it('puts the controller on rpc_server and replication on rpc + 1, and the Kafka listeners as named, `direct` first', () => {
    expect(cfg['listeners']).toBe(
      `CONTROLLER://127.0.0.1:${p.rpc},REPLICATION://127.0.0.1:${p.replication},DIRECT://127.0.0.1:${p.direct},EXTERNAL://127.0.0.1:${p.client}`,
    );
    expect(cfg['controller.listener.names']).toBe('CONTROLLER');
    expect(cfg['inter.broker.listener.name']).toBe('REPLICATION');
    expect(cfg['listener.security.protocol.map']).toBe('CONTROLLER:PLAINTEXT,REPLICATION:PLAINTEXT,DIRECT:PLAINTEXT,EXTERNAL:PLAINTEXT');
  });

  it('advertises Envoy’s listener for the broker’s position on the client listener, and itself on `direct`', () => {
    expect(cfg['advertised.listeners']).toBe(
      `REPLICATION://127.0.0.1:${p.replication},DIRECT://127.0.0.1:${p.direct},EXTERNAL://127.0.0.1:${t.envoy.listenerPort + 1}`,
    );
  });

  it('acknowledges like Raft: a majority in sync, no unclean elections (no acknowledged message lost)', () => {
    expect(cfg['min.insync.replicas']).toBe('2');
    expect(cfg['unclean.leader.election.enable']).toBe('false');
  });

  it('keeps waiting for its cluster like Redpanda instead of exiting after Kafka’s default 60 s', () => {
    expect(Number(cfg['initial.broker.registration.timeout.ms'])).toBeGreaterThanOrEqual(30 * 60 * 1000);
  });

  it('takes voters from seed_servers in order, ids 0..n-1', () => {
    const voters = brokersOf(t, 'secondary').map((x, i) => `${i}@127.0.0.1:${localPorts(t, x).rpc}`);
    expect(cfg['controller.quorum.voters']).toBe(voters.join(','));
  });

  it('uses the data folder it is given, and keeps replication within the cluster size', () => {
    expect(cfg['log.dirs']).toBe('/state/secondary-broker-1/data');
    expect(cfg['offsets.topic.replication.factor']).toBe('3');
    expect(cfg['group.initial.rebalance.delay.ms']).toBe('0');
    const one = defaultTopology({});
    one.brokers = 1;
    const single = Object.fromEntries(kafkaServerProperties(parseRedpandaYaml(renderRedpandaYaml(one, brokersOf(one)[0]!, 'local'))));
    expect(single['offsets.topic.replication.factor']).toBe('1');
    expect(single['transaction.state.log.min.isr']).toBe('1');
  });
});

describe('kafkaServerProperties (docker target)', () => {
  it('binds 0.0.0.0, advertises container names on the controller quorum; kafka-filter: `internal` (the broker itself) and `direct`', () => {
    const cfg = props(rendered('primary-broker-2', 'docker'));
    expect(t.rewrite).toBe('kafka-filter');
    expect(cfg['log.dirs']).toBe('/var/lib/redpanda/data');
    expect(cfg['controller.quorum.voters']).toBe(`0@primary-broker-0:${t.redpanda.rpcPort},1@primary-broker-1:${t.redpanda.rpcPort},2@primary-broker-2:${t.redpanda.rpcPort}`);
    expect(cfg['listeners']).toContain(`CONTROLLER://0.0.0.0:${t.redpanda.rpcPort}`);
    expect(cfg['advertised.listeners']).toContain(`REPLICATION://primary-broker-2:${t.redpanda.rpcPort + 1}`);
    expect(cfg['listeners']).toMatch(/REPLICATION:\/\/0\.0\.0\.0:\d+,INTERNAL:\/\/0\.0\.0\.0:9092,DIRECT:\/\/0\.0\.0\.0:29092$/);
    expect(cfg['advertised.listeners']).toMatch(/,INTERNAL:\/\/primary-broker-2:9092,DIRECT:\/\/127\.0\.0\.1:\d+$/);
    expect(cfg['listeners']).not.toContain('EXTERNAL');
  });

  it('advertised: `internal` (the broker itself) first, then `proxied` and `external` advertising Envoy, then `direct`', () => {
    const a = defaultTopology({});
    a.rewrite = 'advertised';
    const b = brokersOf(a).find((x) => x.name === 'secondary-broker-1')!;
    const cfg = Object.fromEntries(kafkaServerProperties(parseRedpandaYaml(renderRedpandaYaml(a, b, 'docker'))));
    expect(cfg['listeners']).toMatch(
      /REPLICATION:\/\/0\.0\.0\.0:\d+,INTERNAL:\/\/0\.0\.0\.0:9092,PROXIED:\/\/0\.0\.0\.0:9093,EXTERNAL:\/\/0\.0\.0\.0:19092,DIRECT:\/\/0\.0\.0\.0:29092$/,
    );
    expect(cfg['advertised.listeners']).toBe(
      `REPLICATION://secondary-broker-1:${a.redpanda.rpcPort + 1},INTERNAL://secondary-broker-1:9092,PROXIED://envoy:9093,EXTERNAL://127.0.0.1:9093,DIRECT://127.0.0.1:${directHostPort(a, b)}`,
    );
  });
});

describe('schema_registry_client.brokers', () => {
  const base = rendered('primary-broker-1', 'docker');

  it('is not rendered, so the internal client bootstraps from the first Kafka listener', () => {
    expect(parseRedpandaYaml(base).schemaRegistryClientBrokers).toEqual([]);
  });

  it('is read into schemaRegistryClientBrokers when a redpanda.yaml sets it', () => {
    const withClient = `${base}schema_registry_client:\n  brokers:\n    - address: primary-broker-0\n      port: 9092\n    - address: 10.0.0.7\n      port: 19092\n`;
    expect(parseRedpandaYaml(withClient).schemaRegistryClientBrokers).toEqual([
      { address: 'primary-broker-0', port: 9092 },
      { address: '10.0.0.7', port: 19092 },
    ]);
    // a single mapping is a list of one, as for the other address lists
    const single = `${base}schema_registry_client:\n  brokers:\n    address: primary-broker-2\n    port: 9092\n`;
    expect(parseRedpandaYaml(single).schemaRegistryClientBrokers).toEqual([{ address: 'primary-broker-2', port: 9092 }]);
  });

  it('names the bad key', () => {
    expect(() => parseRedpandaYaml(`${base}schema_registry_client:\n  brokers:\n    - address: primary-broker-0\n      port: 0\n`)).toThrow(
      'schema_registry_client.brokers[0].port must be a port number',
    );
  });
});

describe('internalClientBootstrap', () => {
  it('uses schema_registry_client.brokers when set', () => {
    const brokers = [
      { address: 'primary-broker-0', port: 9092 },
      { address: 'primary-broker-1', port: 9092 },
    ];
    expect(internalClientBootstrap({ schemaRegistryClientBrokers: brokers, kafkaApi: [{ name: 'internal', address: '0.0.0.0', port: 9092 }] })).toEqual(brokers);
  });

  it('else dials the first kafka_api listener, a wildcard bind on loopback', () => {
    expect(
      internalClientBootstrap({
        schemaRegistryClientBrokers: [],
        kafkaApi: [
          { name: 'internal', address: '0.0.0.0', port: 9092 },
          { name: 'direct', address: '0.0.0.0', port: 29092 },
        ],
      }),
    ).toEqual([{ address: '127.0.0.1', port: 9092 }]);
    expect(internalClientBootstrap({ schemaRegistryClientBrokers: [], kafkaApi: [{ name: 'direct', address: '127.0.0.1', port: 19111 }] })).toEqual([
      { address: '127.0.0.1', port: 19111 },
    ]);
  });

  it('from the rendered configs: the first listener, which advertises the broker itself', () => {
    for (const rewrite of ['kafka-filter', 'advertised'] as const) {
      const x = defaultTopology({});
      x.rewrite = rewrite;
      for (const b of brokersOf(x)) {
        expect(internalClientBootstrap(parseRedpandaYaml(renderRedpandaYaml(x, b, 'docker')))).toEqual([{ address: '127.0.0.1', port: x.redpanda.kafkaPort }]);
        expect(internalClientBootstrap(parseRedpandaYaml(renderRedpandaYaml(x, b, 'local')))).toEqual([{ address: '127.0.0.1', port: localPorts(x, b).direct }]);
      }
    }
  });
});

describe('kraftClusterId', () => {
  it('is the same for every broker of a cluster and differs between clusters', () => {
    const id = (name: string) => kraftClusterId(parseRedpandaYaml(rendered(name, 'local')).seedServers);
    const primary = ['primary-broker-0', 'primary-broker-1', 'primary-broker-2'].map(id);
    const secondary = ['secondary-broker-0', 'secondary-broker-1', 'secondary-broker-2'].map(id);
    expect(new Set(primary).size).toBe(1);
    expect(new Set(secondary).size).toBe(1);
    expect(primary[0]).not.toBe(secondary[0]);
    // Kafka wants 16 bytes, URL-safe base64 without padding (22 characters).
    expect(primary[0]).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(Buffer.from(primary[0]!, 'base64url')).toHaveLength(16);
  });

  it('never starts with "-", which kafka-storage would read as an option', () => {
    // The default local topology's secondary seed list once hashed to "-p_Z881IGNbWf9O6bTCvzA".
    const ids = Array.from({ length: 2000 }, (_, i) => kraftClusterId([{ address: '127.0.0.1', port: 19102 + i }]));
    ids.push(kraftClusterId(parseRedpandaYaml(rendered('secondary-broker-0', 'local')).seedServers));
    expect(ids.filter((id) => id.startsWith('-'))).toEqual([]);
  });
});

describe('parseRedpandaYaml errors', () => {
  const base = rendered('primary-broker-0', 'local');
  it('names the missing or bad key', () => {
    expect(() => parseRedpandaYaml('pandaproxy: {}\n')).toThrow('no `redpanda:` section');
    expect(() => parseRedpandaYaml(base.replace('node_id: 0', 'node_id: zero'))).toThrow('redpanda.node_id must be a non-negative integer');
    expect(() => parseRedpandaYaml(base.replace(/rpc_server:\n {4}address: 127\.0\.0\.1\n {4}port: \d+/, 'rpc_server:\n    address: 127.0.0.1\n    port: 99999'))).toThrow(
      'redpanda.rpc_server.port must be a port number',
    );
    expect(() => parseRedpandaYaml('redpanda: [\n')).toThrow(RedpandaYamlError);
  });
  it('refuses a node id that has no seed server', () => {
    const cfg = parseRedpandaYaml(base.replace('node_id: 0', 'node_id: 5'));
    expect(() => kafkaServerProperties(cfg)).toThrow('redpanda.node_id 5 has no seed server');
  });
});
