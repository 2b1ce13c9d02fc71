import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { ConfigError, loadTopology, toConfigDocument, type LoadOptions } from '../../src/config/load.js';
import { defaultTopology } from '../../src/config/topology.js';
import { configReference } from '../../src/config/validate.js';
import { UserError } from '../../src/util/errors.js';

const dir = mkdtempSync(join(tmpdir(), 'fd-config-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
function configFile(yamlText: string): string {
  const file = join(dir, `c${n++}.yaml`);
  writeFileSync(file, yamlText);
  return file;
}
const env = {};

/** The problems loadTopology reports (fails the test when it does not throw a ConfigError). */
function problemsOf(options: LoadOptions): string[] {
  try {
    loadTopology({ env, ...options });
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    expect(err).toBeInstanceOf(UserError);
    return (err as ConfigError).problems;
  }
  throw new Error('expected a ConfigError');
}
const problemsIn = (yamlText: string) => problemsOf({ configFile: configFile(yamlText) });

describe('loadTopology: merging', () => {
  it('returns the defaults without a file or flags', () => {
    expect(loadTopology({ env })).toEqual(defaultTopology({}));
  });

  it('lays the file over the defaults, key by key, with durations in ms', () => {
    const t = loadTopology({
      env,
      configFile: configFile(`
healthCheck: { interval: 1s, unhealthyThreshold: 2, intervalJitter: 100ms }
envoy: { adminPort: 29901 }
local: { basePort: 29000, heapMb: 256 }
panicThresholdPercent: 50
`),
    });
    const d = defaultTopology({});
    expect(t.healthCheck).toEqual({ ...d.healthCheck, intervalMs: 1000, unhealthyThreshold: 2, intervalJitterMs: 100 });
    expect(t.envoy).toEqual({ ...d.envoy, adminPort: 29901 });
    expect(t.local).toEqual({ ...d.local, basePort: 29000, heapMb: 256 });
    expect(t.panicThresholdPercent).toBe(50);
    expect(t.redpanda).toEqual(d.redpanda);
  });

  it('reads true/false switches', () => {
    expect(defaultTopology({}).envoy.closeConnectionsOnHealthFailure).toBe(true);
    const t = loadTopology({ env, configFile: configFile('envoy: { closeConnectionsOnHealthFailure: false }\n') });
    expect(t.envoy).toEqual({ ...defaultTopology({}).envoy, closeConnectionsOnHealthFailure: false });
  });

  it('applies --brokers and --rewrite after the file', () => {
    const file = configFile('brokers: 2\nrewrite: advertised\n');
    expect(loadTopology({ env, configFile: file })).toMatchObject({ brokers: 2, rewrite: 'advertised' });
    const t = loadTopology({ env, configFile: file, overrides: { brokers: '5', rewrite: 'kafka-filter' } });
    expect(t).toMatchObject({ brokers: 5, rewrite: 'kafka-filter' });
  });

  it('fits the default topic replication factor to the broker count', () => {
    expect(loadTopology({ env, overrides: { brokers: 1 } }).topics).toEqual([{ name: 'test-topic', partitions: 3, replicationFactor: 1 }]);
    expect(loadTopology({ env, overrides: { brokers: 5 } }).topics[0]!.replicationFactor).toBe(3);
  });

  it('the default port layout has no clashes for any broker count 1..9, in either strategy', () => {
    for (let brokers = 1; brokers <= 9; brokers++) {
      for (const rewrite of ['kafka-filter', 'advertised']) {
        expect(loadTopology({ env, overrides: { brokers, rewrite } }).brokers).toBe(brokers);
      }
    }
  });

  it('takes the topics from the file as given', () => {
    const t = loadTopology({ env, configFile: configFile('topics:\n  - { name: orders, partitions: 6, replicationFactor: 2 }\n') });
    expect(t.topics).toEqual([{ name: 'orders', partitions: 6, replicationFactor: 2 }]);
  });

  it('picks image tags from REDPANDA_VERSION / ENVOY_VERSION; the file wins over both', () => {
    const t = loadTopology({ env: { REDPANDA_VERSION: 'v24.1.1', ENVOY_VERSION: 'contrib-v1.32-latest' } });
    expect(t.redpanda.image).toBe('docker.redpanda.com/redpandadata/redpanda:v24.1.1');
    expect(t.envoy.image).toBe('envoyproxy/envoy:contrib-v1.32-latest');
    const f = loadTopology({ env: { ENVOY_VERSION: 'x' }, configFile: configFile('envoy: { image: "my/envoy:1" }\n') });
    expect(f.envoy.image).toBe('my/envoy:1');
  });

  it('treats an empty file and a section with every key commented out as "use the defaults"', () => {
    expect(loadTopology({ env, configFile: configFile('# nothing yet\n') })).toEqual(defaultTopology({}));
    expect(loadTopology({ env, configFile: configFile('healthCheck:\n  # interval: 1s\n') })).toEqual(defaultTopology({}));
  });

  it('round-trips: the config view is itself a config file giving the same topology', () => {
    const t = loadTopology({ env, overrides: { brokers: 4, rewrite: 'advertised' } });
    const doc = toConfigDocument(t);
    expect((doc.healthCheck as Record<string, unknown>).interval).toBe('3s');
    expect((doc.healthCheck as Record<string, unknown>).intervalJitter).toBe('500ms');
    expect(doc.healthCheck).not.toHaveProperty('intervalMs');
    const file = configFile(JSON.stringify(doc));
    expect(loadTopology({ env, configFile: file })).toEqual(t);
  });
});

describe('loadTopology: one clear message per problem', () => {
  it('names unknown keys and suggests the closest known one', () => {
    expect(problemsIn('healthCheck: { intervl: 1s }\n')).toEqual(['healthCheck.intervl: unknown key; did you mean "interval"?']);
    expect(problemsIn('brokerz: 3\n')).toEqual(['brokerz: unknown key; did you mean "brokers"?']);
    expect(problemsIn('healthCheck: { unhealthy_threshold: 2 }\n')[0]).toContain('did you mean "unhealthyThreshold"?');
  });

  it('replication needs the coherent policy, and a known mode', () => {
    expect(problemsIn('failover: { policy: per-broker }\nreplication: { mode: shadow }\n')).toEqual([
      'replication.mode: replication: shadow needs failover.policy: coherent (one decision for the whole cluster: a per-broker split would write to both copies at once); set failover.policy to coherent or replication.mode to none',
    ]);
    expect(problemsIn('replication: { mode: mirror }\n')[0]).toMatch(/^replication\.mode: /);
  });

  it('points a key written at the wrong level to where it belongs', () => {
    expect(problemsIn('adminPort: 9000\n')).toEqual(['adminPort: unknown key here; did you mean "envoy.adminPort"?']);
  });

  it('explains that duration keys drop the Ms suffix', () => {
    const [p] = problemsIn('healthCheck: { intervalMs: 3000 }\n');
    expect(p).toMatch(/^healthCheck\.intervalMs: unknown key; did you mean "interval"\? \(durations are written without the Ms suffix/);
  });

  it('lists the known keys when nothing is close', () => {
    expect(problemsIn('envoy: { zzzzzzzzzzzz: 1 }\n')[0]).toContain('known keys here: image, adminPort, listenerPort, hostListenerPort, advertisedHost');
  });

  it('rejects bare numbers for durations and shows the right form', () => {
    expect(problemsIn('healthCheck: { interval: 3000 }\n')).toEqual([
      'healthCheck.interval: durations need a unit: write interval: 3s if you mean 3000 milliseconds, not a bare number (forms: "500ms", "3s", "0.5s" or "1m")',
    ]);
    expect(problemsIn('healthCheck: { timeout: 2 }\n')[0]).toContain('write timeout: 2s if you mean seconds');
  });

  it('rejects unparseable and too-small durations', () => {
    expect(problemsIn('healthCheck: { timeout: 2 secs }\n')).toEqual([
      'healthCheck.timeout: expected a duration such as "500ms", "3s", "0.5s" or "1m", got "2 secs"',
    ]);
    expect(problemsIn('healthCheck: { interval: 0s }\n')).toEqual(['healthCheck.interval: must be at least 1ms, got "0s"']);
    expect(loadTopology({ env, configFile: configFile('healthCheck: { intervalJitter: 0s }\n') }).healthCheck.intervalJitterMs).toBe(0);
  });

  it('rejects wrong types', () => {
    expect(problemsIn('brokers: three\n')).toEqual(['brokers: expected a whole number from 1 to 9, got "three"']);
    expect(problemsIn('healthCheck: 3s\n')[0]).toMatch(/^healthCheck: expected a mapping of keys \(path, port, .*\), got "3s"$/);
    expect(problemsIn('topics: { name: x }\n')).toEqual(['topics: expected a list, got a mapping']);
    expect(problemsIn('envoy: { advertisedHost: 5 }\n')).toEqual(['envoy.advertisedHost: expected text, got 5']);
    expect(problemsIn('healthCheck: { path: 42 }\n')).toEqual(['healthCheck.path: expected text, got 42']);
    expect(problemsIn('envoy: { closeConnectionsOnHealthFailure: yes }\n')).toEqual([
      'envoy.closeConnectionsOnHealthFailure: expected true or false, got "yes"',
    ]);
    expect(problemsIn('envoy: { closeConnectionsOnHealthFailure: 1 }\n')).toEqual([
      'envoy.closeConnectionsOnHealthFailure: expected true or false, got 1',
    ]);
    expect(problemsIn('- 1\n- 2\n')[0]).toMatch(/^the file must be a mapping of keys/);
  });

  it('rejects a key without a value', () => {
    expect(problemsIn('brokers:\n')).toEqual(['brokers: has no value; give one or remove the key to use the default']);
  });

  it('rejects brokers outside 1..9', () => {
    expect(problemsIn('brokers: 0\n')).toEqual(['brokers: expected a whole number from 1 to 9, got 0']);
    expect(problemsIn('brokers: 10\n')).toEqual(['brokers: expected a whole number from 1 to 9, got 10']);
    expect(problemsIn('brokers: 2.5\n')).toEqual(['brokers: expected a whole number from 1 to 9, got 2.5']);
  });

  it('rejects thresholds below 1', () => {
    expect(problemsIn('healthCheck: { unhealthyThreshold: 0, healthyThreshold: -1 }\noutlierDetection: { consecutive5xx: 0 }\n')).toEqual([
      'healthCheck.unhealthyThreshold: expected a whole number 1 or more, got 0',
      'healthCheck.healthyThreshold: expected a whole number 1 or more, got -1',
      'outlierDetection.consecutive5xx: expected a whole number 1 or more, got 0',
    ]);
  });

  it('rejects percentages outside 0..100', () => {
    expect(problemsIn('panicThresholdPercent: 101\n')).toEqual(['panicThresholdPercent: expected a number from 0 to 100, got 101']);
  });

  it('rejects ports outside 1..65535', () => {
    expect(problemsIn('envoy: { adminPort: 70000 }\nredpanda: { rpcPort: 0 }\n')).toEqual([
      'envoy.adminPort: expected a port number from 1 to 65535, got 70000',
      'redpanda.rpcPort: expected a port number from 1 to 65535, got 0',
    ]);
  });

  it('rejects port ranges that run past 65535', () => {
    expect(problemsIn('envoy: { listenerPort: 65534 }\n')).toEqual([
      'envoy.listenerPort: Envoy listener 2 would be on port 65536, outside 1..65535; lower envoy.listenerPort',
    ]);
    expect(problemsIn('local: { basePort: 65500 }\n')).toEqual([
      'local.basePort: secondary-broker-0 client port would be on port 65600, outside 1..65535; lower local.basePort',
    ]);
  });

  it('rejects a port used twice, naming both keys', () => {
    expect(problemsIn('envoy: { adminPort: 29093 }\n')).toEqual([
      'envoy.adminPort / redpanda.directPortBase: port 29093 is used twice among ports published on the host (Docker runtime): Envoy admin API (envoy.adminPort) and primary-broker-1 direct listener (redpanda.directPortBase)',
    ]);
    // overlapping ranges give one message, not one per port
    expect(problemsIn('envoy: { hostListenerPort: 9093 }\n')).toEqual([
      "envoy.hostListenerPort / envoy.listenerPort: port 9093 is used twice among the Envoy container's ports: Envoy listener 1 (envoy.listenerPort) and Envoy host-facing listener 0 (envoy.hostListenerPort)",
    ]);
    expect(problemsIn('redpanda: { adminPort: 8081 }\n')[0]).toContain("port 8081 is used twice among each broker container's ports");
    // the local runtime's port block against Envoy's listeners
    expect(problemsIn('local: { basePort: 9080 }\n')[0]).toContain('port 9092 is used twice among ports of the local runtime (127.0.0.1)');
  });

  it('rejects an unknown rewrite strategy and recovery behaviour', () => {
    expect(problemsIn('rewrite: envoy\n')).toEqual(['rewrite: expected one of kafka-filter, advertised, got "envoy"']);
    expect(problemsIn('local: { recoveryBehaviour: crash }\n')).toEqual(['local.recoveryBehaviour: expected one of refuse, http-503, got "crash"']);
  });

  it('rejects an invalid bind address', () => {
    expect(problemsIn('bindAddress: localhost\n')).toEqual(['bindAddress: expected an IP address such as "127.0.0.1" (default) or "0.0.0.0", got "localhost"']);
    expect(problemsIn('bindAddress: 300.1.1.1\n')).toHaveLength(1);
    expect(loadTopology({ env, configFile: configFile('bindAddress: 0.0.0.0\n') }).bindAddress).toBe('0.0.0.0');
  });

  it('rejects topics with more replicas than brokers, missing fields and duplicates', () => {
    expect(problemsIn('brokers: 3\ntopics: [{ name: a, partitions: 1, replicationFactor: 5 }]\n')).toEqual([
      'topics[0].replicationFactor: a wants 5 replicas but each cluster has 3 broker(s); use at most 3 or raise brokers',
    ]);
    expect(problemsIn('topics: [{ name: a }]\n')).toEqual(['topics[0].partitions: is required', 'topics[0].replicationFactor: is required']);
    expect(problemsIn('topics: [{ name: a, partitions: 1, replicationFactor: 1 }, { name: a, partitions: 1, replicationFactor: 1 }]\n')).toEqual([
      'topics[1].name: topic a is listed twice',
    ]);
    expect(problemsIn('topics: [{ name: "no spaces", partitions: 1, replicationFactor: 1 }]\n')[0]).toMatch(/^topics\[0\]\.name: expected a Kafka topic name/);
    // --brokers makes a file's topic invalid too
    expect(problemsOf({ configFile: configFile('topics: [{ name: a, partitions: 1, replicationFactor: 3 }]\n'), overrides: { brokers: 1 } })).toEqual([
      'topics[0].replicationFactor: a wants 3 replicas but each cluster has 1 broker(s); use at most 1 or raise brokers',
    ]);
  });

  it('validates the --brokers and --rewrite flags', () => {
    expect(problemsOf({ overrides: { brokers: '0' } })).toEqual(['--brokers: expected a whole number from 1 to 9, got "0"']);
    expect(problemsOf({ overrides: { brokers: 'five' } })).toEqual(['--brokers: expected a whole number from 1 to 9, got "five"']);
    expect(problemsOf({ overrides: { rewrite: 'magic' } })).toEqual(['--rewrite: expected one of kafka-filter, advertised, got "magic"']);
  });

  it('reports a missing file and invalid YAML', () => {
    const missing = join(dir, 'nope.yaml');
    expect(problemsOf({ configFile: missing })).toEqual([`--config: cannot read ${missing}: no such file`]);
    expect(problemsIn('brokers: [1\n')[0]).toMatch(/^not valid YAML: /);
    expect(problemsIn('brokers: 1\nbrokers: 2\n')[0]).toMatch(/^not valid YAML: .*unique/i);
  });

  it('collects every problem into one error whose message lists them all', () => {
    const file = configFile('brokers: 12\nrewrite: x\nhealthCheck: { interval: 3000 }\nenvoy: { adminPort: 0 }\n');
    let error: ConfigError | undefined;
    try {
      loadTopology({ env, configFile: file, overrides: { rewrite: 'y' } });
    } catch (err) {
      error = err as ConfigError;
    }
    expect(error?.problems).toHaveLength(5);
    expect(error?.message.split('\n')[0]).toBe(`invalid configuration (${file}), 5 problems:`);
    for (const p of error!.problems) expect(error!.message).toContain(`  - ${p}`);
    expect(error?.hint).toContain('config --reference');
  });
});

describe('configReference', () => {
  it('documents every key of the file, sections and topic fields included', () => {
    const paths = configReference().map((k) => k.path);
    expect(paths).toContain('healthCheck.unhealthyEdgeInterval');
    expect(paths).toContain('topics[].replicationFactor');
    expect(paths).toContain('local.recoveryBehaviour');
    expect(configReference().find((k) => k.path === 'envoy.closeConnectionsOnHealthFailure')?.type).toBe('true | false');
    // every topology key has a reference entry (Ms keys written without the suffix)
    const doc = toConfigDocument(defaultTopology({}));
    const leafPaths = (o: Record<string, unknown>, prefix = ''): string[] =>
      Object.entries(o).flatMap(([k, v]) =>
        v && typeof v === 'object' && !Array.isArray(v) ? leafPaths(v as Record<string, unknown>, `${prefix}${k}.`) : [`${prefix}${k}`],
      );
    for (const p of leafPaths(doc)) expect(paths).toContain(p);
    expect(configReference().every((k) => k.doc.length > 10)).toBe(true);
  });

  it('the config view parses as YAML with the same keys the reference lists', () => {
    const doc = parse(JSON.stringify(toConfigDocument(defaultTopology({}))));
    expect(Object.keys(doc)).toEqual(configReference().filter((k) => !k.path.includes('.') && !k.path.includes('[')).map((k) => k.path));
  });
});
