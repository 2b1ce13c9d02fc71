/**
 * The clusters file (`render --clusters FILE`): each mistake gives one clear error at its key with the
 * fix, every problem is listed at once, and nothing is written when there is one.
 */
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command, CommanderError } from 'commander';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { parse, stringify } from 'yaml';
import { register as registerRender } from '../../src/cli/commands/render.js';
import { loadClusters, readClustersDocument } from '../../src/config/clusters.js';
import { ConfigError } from '../../src/config/load.js';
import { UserError } from '../../src/util/errors.js';
import { BASE, EXAMPLE_CLUSTERS } from '../support/clusters.js';

const problemsOf = (yaml: string) => readClustersDocument(parse(yaml), {}).problems.map(({ path, message }) => ({ path, message }));

/** BASE with its brokers' lines replaced. */
const withBrokers = (primary: string, secondary: string) => `clusters:\n  primary:\n    brokers: ${primary}\n  secondary:\n    brokers: ${secondary}\n`;

describe('a valid clusters file', () => {
  it('the committed example reads without a problem', () => {
    const setup = loadClusters(EXAMPLE_CLUSTERS, {});
    expect(setup.topology.brokers).toBe(3);
    expect(setup.clusters.secondary.check).toEqual({ kind: 'redpandaAdmin', path: '/v1/status/ready', port: 9644, tls: { sni: 'admin.west.example.com', caFile: '/etc/failover-envoy/west-ca.pem' } });
    expect(setup.clusters.primary.check).toEqual({ kind: 'schemaRegistry', path: '/schemas/types', port: 8081 });
  });

  it("the demo's defaults fill in what the file leaves out", () => {
    const { setup, problems } = readClustersDocument(parse(BASE), {});
    expect(problems).toEqual([]);
    expect(setup.topology.rewrite).toBe('kafka-filter');
    expect(setup.topology.failover.policy).toBe('coherent');
    expect(setup.topology.envoy).toMatchObject({ listenerPort: 9092, adminPort: 9901, advertisedHost: '127.0.0.1' });
    expect(setup.topology.healthCheck).toMatchObject({ intervalMs: 3000, timeoutMs: 2000, unhealthyThreshold: 3 });
    expect(setup.exposeAdmin).toBe(false);
    expect(setup.clusters.secondary.brokers[2]).toEqual({ id: 2, host: '10.0.0.12', port: 9093 });
  });

  it("a tcp check needs no port (the broker's Kafka port); IPv6 addresses are written in brackets", () => {
    const { setup, problems } = readClustersDocument(parse(withBrokers('[{ id: 0, address: "[fd00::1]:9092" }]', '[{ id: 0, address: "b:9092" }]') + 'healthCheck: { kind: tcp }\n'), {});
    expect(problems).toEqual([]);
    expect(setup.clusters.primary).toEqual({ brokers: [{ id: 0, host: 'fd00::1', port: 9092 }], check: { kind: 'tcp' } });
  });
});

describe('each bad clusters file gives one clear error at its key', () => {
  it.each([
    ['a broker id used twice in a cluster', withBrokers('[{ id: 0, address: "a:1" }, { id: 0, address: "b:1" }]', '[{ id: 0, address: "c:1" }, { id: 1, address: "d:1" }]'),
      'clusters.primary.brokers[1].id', 'broker id 0 is already clusters.primary.brokers[0]; each broker of a cluster has its own node id (its node_id)'],
    ['an address used twice in one cluster', withBrokers('[{ id: 0, address: "a:1" }, { id: 1, address: "A:1" }]', '[{ id: 0, address: "c:1" }, { id: 1, address: "d:1" }]'),
      'clusters.primary.brokers[1].address', 'A:1 is already clusters.primary.brokers[0]; every broker has its own address'],
    ['an address used in both clusters', withBrokers('[{ id: 0, address: "a:1" }]', '[{ id: 0, address: "a:1" }]'),
      'clusters.secondary.brokers[0].address', 'a:1 is already clusters.primary.brokers[0]; every broker has its own address'],
    ['a cluster with no brokers', withBrokers('[{ id: 0, address: "a:1" }]', '[]'),
      'clusters.secondary.brokers', 'the secondary cluster has no brokers; list each one as - { id: 0, address: "host:9092" } (Envoy needs at least one per cluster)'],
    ['a cluster missing', 'clusters:\n  primary:\n    brokers: [{ id: 0, address: "a:1" }]\n',
      'clusters.secondary', 'is required: list the secondary cluster\'s brokers under clusters.secondary.brokers, e.g. - { id: 0, address: "host:9092" }'],
    ['clusters of different sizes', withBrokers('[{ id: 0, address: "a:1" }, { id: 1, address: "b:1" }]', '[{ id: 0, address: "c:1" }]'),
      'clusters.secondary.brokers', 'the primary has 2 broker(s) and the secondary 1; Envoy pairs the i-th broker of each cluster on listener i, so list the same number in both'],
    ['an address without a port', withBrokers('[{ id: 0, address: "a" }]', '[{ id: 0, address: "b:1" }]'),
      'clusters.primary.brokers[0].address', 'expected host:port with a port from 1 to 65535, e.g. "redpanda-0.example.com:9092" or "[fd00::1]:9092", got "a"'],
    ['ids out of line under kafka-filter and per-broker', withBrokers('[{ id: 0, address: "a:1" }, { id: 1, address: "b:1" }]', '[{ id: 1, address: "c:1" }, { id: 0, address: "d:1" }]') + 'failover: { policy: per-broker }\n',
      'clusters.secondary.brokers', "node ids by position are 1, 0 but the primary's are 0, 1: with rewrite kafka-filter and policy per-broker, listener i's filter rewrites one node id for both clusters, so list the brokers in the same id order (or use policy coherent)"],
  ])('%s', (_name, yaml, path, message) => {
    expect(problemsOf(yaml)).toEqual([{ path, message }]);
  });

  it('different checks in the two clusters under per-broker (one Envoy cluster, one health check)', () => {
    const yaml = BASE.replace('  secondary:\n', '  secondary:\n    healthCheck: { kind: tcp }\n') + 'failover: { policy: per-broker }\n';
    expect(problemsOf(yaml)).toEqual([
      { path: 'clusters.secondary.healthCheck', message: expect.stringContaining('give both clusters the same kind, path and tls (the port may differ), or use policy coherent') },
    ]);
  });

  it('a path on a tcp check, TLS settings with TLS off, an unknown key, a bare duration, a port clash: all at once', () => {
    const yaml = `${BASE}healthCheck: { kind: tcp, path: /x, interval: 3, tls: { caFile: /ca.pem } }\nenvoy: { adminPort: 9093, listenerport: 1 }\n`;
    expect(problemsOf(yaml).map((p) => p.path)).toEqual(['healthCheck.interval', 'envoy.listenerport', 'healthCheck.path', 'envoy.adminPort', 'healthCheck.tls.enabled']);
    expect(problemsOf(yaml).find((p) => p.path === 'envoy.listenerport')!.message).toBe('unknown key; did you mean "listenerPort"?');
  });
});

describe('render --clusters (in-process)', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'fd-clusters-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  async function render(...args: string[]): Promise<{ code: number; err: string }> {
    const program = new Command('failover-demo').exitOverride();
    registerRender(program);
    program.commands.forEach((c) => c.exitOverride());
    let err = '';
    const o = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    try {
      await program.parseAsync(['node', 'failover-demo', 'render', ...args]);
      return { code: 0, err };
    } catch (e) {
      if (e instanceof CommanderError) return { code: e.exitCode, err: e.message };
      if (e instanceof UserError) return { code: e.exitCode, err: `${e.message}\n${e.hint ?? ''}` };
      throw e;
    } finally {
      o.mockRestore();
    }
  }

  it('writes the Envoy folder for the example (format envoy, the default)', async () => {
    const out = join(dir, 'out');
    expect((await render('--clusters', EXAMPLE_CLUSTERS, '--out', out)).code).toBe(0);
    expect((readdirSync(out, { recursive: true }) as string[]).sort()).toEqual([
      'envoy-proxy', 'envoy-proxy/controller.json', 'envoy-proxy/envoy.yaml', 'envoy-proxy/lds', 'envoy-proxy/lds-choices',
      'envoy-proxy/lds-choices/primary.yaml', 'envoy-proxy/lds-choices/secondary.yaml', 'envoy-proxy/lds/listeners.yaml',
    ]);
  });

  it.each([
    ['a duplicate broker id', withBrokers('[{ id: 3, address: "a:1" }, { id: 3, address: "b:1" }]', '[{ id: 0, address: "c:1" }, { id: 1, address: "d:1" }]'), 'clusters.primary.brokers[1].id: broker id 3 is already'],
    ['a duplicate address', withBrokers('[{ id: 0, address: "a:1" }]', '[{ id: 0, address: "a:1" }]'), 'clusters.secondary.brokers[0].address: a:1 is already'],
    ['a cluster with no brokers', withBrokers('[]', '[{ id: 0, address: "a:1" }]'), 'clusters.primary.brokers: the primary cluster has no brokers'],
    ['not YAML', 'clusters: [', 'not valid YAML'],
  ])('%s: one error naming the file, exit 1, nothing written', async (_name, yaml, error) => {
    const file = join(dir, 'clusters.yaml');
    writeFileSync(file, yaml);
    const out = join(dir, 'out');
    const r = await render('--clusters', file, '--format', 'compose', '--out', out);
    expect(r.code).toBe(1);
    expect(r.err).toContain(`invalid clusters file (${file}), 1 problem:\n  - ${error}`);
    expect(r.err).toContain('README "Your own clusters"');
    expect(existsSync(out)).toBe(false);
  });

  it('a file that is not there, a bad --format, --format without --clusters, --clusters with --brokers', async () => {
    expect((await render('--clusters', join(dir, 'none.yaml'), '--out', dir)).err).toContain(`--clusters: cannot read ${join(dir, 'none.yaml')}: no such file`);
    expect((await render('--clusters', EXAMPLE_CLUSTERS, '--format', 'helm', '--out', dir)).err).toContain('--format must be one of envoy, compose, kubernetes, got "helm"');
    expect((await render('--format', 'compose', '--out', dir)).err).toContain('--format needs --clusters FILE');
    expect((await render('--clusters', EXAMPLE_CLUSTERS, '--brokers', '3', '--out', dir)).err).toContain('--clusters renders from the clusters file alone');
    expect(readdirSync(dir)).toEqual([]);
  });

  it('ConfigError lists every problem of the file at once', () => {
    const file = join(dir, 'c.yaml');
    writeFileSync(file, stringify({ clusters: { primary: { brokers: [] }, secondary: { brokers: [] } } }));
    expect(() => loadClusters(file, {})).toThrow(ConfigError);
    expect(() => loadClusters(file, {})).toThrow(/2 problems:\n {2}- clusters\.primary\.brokers: .*\n {2}- clusters\.secondary\.brokers: /);
  });
});
