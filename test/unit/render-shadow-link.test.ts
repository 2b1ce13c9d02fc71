/**
 * The shadow link configuration file, the rpk argument arrays and the `rpk shadow status` parser
 * (src/render/shadow-link.ts, src/render/shadow-link-status.ts). Field names are the ones in Redpanda's
 * docs (shadowing/setup.adoc) and rpk's types.go; the status samples' sources are named at each sample.
 */
import { describe, expect, it } from 'vitest';
import { parse, parseDocument } from 'yaml';
import { defaultTopology } from '../../src/config/topology.js';
import {
  buildShadowLinkConfig,
  createShadowLinkArgv,
  deleteShadowLinkArgv,
  enableShadowLinkingArgv,
  failoverShadowLinkArgv,
  goDuration,
  parseShadowLinkStatus,
  renderShadowLinkConfig,
  SHADOW_LINK_NAME,
  shadowLinkStatusArgv,
  shadowSourceBootstrap,
  topicsNotInState,
  type ShadowLinkInput,
} from '../../src/render/shadow-link.js';
import { UserError } from '../../src/util/errors.js';

/* eslint-disable @typescript-eslint/no-explicit-any */
type Any = any;

const input = (patch: Partial<ShadowLinkInput> = {}): ShadowLinkInput => ({
  name: SHADOW_LINK_NAME,
  sourceBootstrap: ['primary-broker-0:9092', 'primary-broker-1:9092', 'primary-broker-2:9092'],
  topics: ['test-topic', 'orders'],
  ...patch,
});

describe('renderShadowLinkConfig: the file `rpk shadow create --config-file` reads', () => {
  it('has exactly the documented top-level sections', () => {
    const cfg: Any = parse(renderShadowLinkConfig(input()));
    expect(Object.keys(cfg).sort()).toEqual(['client_options', 'consumer_offset_sync_options', 'name', 'topic_metadata_sync_options']);
    expect(cfg.name).toBe('failover-demo');
  });

  it('client_options.bootstrap_servers are the source brokers, nothing about TLS or SASL', () => {
    const cfg: Any = parse(renderShadowLinkConfig(input()));
    expect(cfg.client_options).toEqual({ bootstrap_servers: ['primary-broker-0:9092', 'primary-broker-1:9092', 'primary-broker-2:9092'] });
    const withId: Any = parse(renderShadowLinkConfig(input({ sourceClusterId: 'a882bc98-7aca-40f6-a657-36a0b4daf1fd' })));
    expect(withId.client_options.source_cluster_id).toBe('a882bc98-7aca-40f6-a657-36a0b4daf1fd');
  });

  it('topic_metadata_sync_options: one LITERAL INCLUDE filter per topic, start_at_earliest, an interval', () => {
    const t: Any = parse(renderShadowLinkConfig(input())).topic_metadata_sync_options;
    expect(t.auto_create_shadow_topic_filters).toEqual([
      { pattern_type: 'LITERAL', filter_type: 'INCLUDE', name: 'test-topic' },
      { pattern_type: 'LITERAL', filter_type: 'INCLUDE', name: 'orders' },
    ]);
    expect(t.start_at_earliest).toEqual({});
    expect(t).not.toHaveProperty('start_at_latest');
    expect(t.interval).toBe('30s');
    expect(t.paused).toBe(false);
    const latest: Any = parse(renderShadowLinkConfig(input({ startAt: 'latest' }))).topic_metadata_sync_options;
    expect(latest.start_at_latest).toEqual({});
    expect(latest).not.toHaveProperty('start_at_earliest');
  });

  it('consumer_offset_sync_options: every group (LITERAL INCLUDE "*", quoted in YAML) at its own interval', () => {
    const text = renderShadowLinkConfig(input({ intervals: { topicMetadataMs: 5_000, consumerOffsetsMs: 1_500 } }));
    const cfg: Any = parse(text);
    expect(cfg.consumer_offset_sync_options).toEqual({
      interval: '1500ms',
      paused: false,
      group_filters: [{ pattern_type: 'LITERAL', filter_type: 'INCLUDE', name: '*' }],
    });
    expect(cfg.topic_metadata_sync_options.interval).toBe('5s');
    expect(text).toMatch(/name: "\*"|name: '\*'/);
  });

  it('starts with a comment saying what it is and how it is used', () => {
    const doc = parseDocument(renderShadowLinkConfig(input()));
    expect(doc.commentBefore).toContain('rpk shadow create --config-file');
  });

  it('refuses what Redpanda would refuse, naming the fix', () => {
    const bad: Partial<ShadowLinkInput>[] = [
      { name: 'Failover_Demo' },
      { sourceBootstrap: [] },
      { sourceBootstrap: ['primary-broker-0'] },
      { topics: [] },
      { topics: ['*'] },
      { topics: ['__consumer_offsets'] },
      { intervals: { topicMetadataMs: 0, consumerOffsetsMs: 30_000 } },
    ];
    for (const patch of bad) {
      let err: unknown;
      try {
        buildShadowLinkConfig(input(patch));
      } catch (e) {
        err = e;
      }
      expect(err, JSON.stringify(patch)).toBeInstanceOf(UserError);
      expect((err as UserError).hint, JSON.stringify(patch)).toBeTruthy();
    }
  });

  it('goDuration writes what Go time.ParseDuration reads', () => {
    expect(goDuration(30_000)).toBe('30s');
    expect(goDuration(250)).toBe('250ms');
    expect(goDuration(60_000)).toBe('60s');
  });

  it('shadowSourceBootstrap: each primary broker\'s internal listener', () => {
    const t = { ...defaultTopology({}), brokers: 2 };
    expect(shadowSourceBootstrap(t)).toEqual([`primary-broker-0:${t.redpanda.kafkaPort}`, `primary-broker-1:${t.redpanda.kafkaPort}`]);
  });
});

describe('rpk argument arrays', () => {
  it('enable, create, status, failover, delete as the rpk reference pages spell them', () => {
    expect(enableShadowLinkingArgv()).toEqual(['rpk', 'cluster', 'config', 'set', 'enable_shadow_linking', 'true']);
    expect(createShadowLinkArgv('/tmp/shadow-link.yaml')).toEqual(['rpk', 'shadow', 'create', '--config-file', '/tmp/shadow-link.yaml', '--no-confirm']);
    expect(shadowLinkStatusArgv('failover-demo')).toEqual(['rpk', 'shadow', 'status', 'failover-demo', '--format', 'json']);
    expect(shadowLinkStatusArgv('failover-demo', { format: 'text' })).toEqual(['rpk', 'shadow', 'status', 'failover-demo']);
    expect(failoverShadowLinkArgv('failover-demo')).toEqual(['rpk', 'shadow', 'failover', 'failover-demo', '--all', '--no-confirm']);
    expect(failoverShadowLinkArgv('failover-demo', { topic: 'orders' })).toEqual(['rpk', 'shadow', 'failover', 'failover-demo', '--topic', 'orders', '--no-confirm']);
    expect(deleteShadowLinkArgv('failover-demo')).toEqual(['rpk', 'shadow', 'delete', 'failover-demo', '--no-confirm']);
    expect(deleteShadowLinkArgv('failover-demo', { force: true })).toEqual(['rpk', 'shadow', 'delete', 'failover-demo', '--no-confirm', '--force']);
  });

  it('adds -X admin.hosts when given the Admin API hosts', () => {
    const target = { adminHosts: ['secondary-broker-0:9644', 'secondary-broker-1:9644'] };
    expect(enableShadowLinkingArgv(target).slice(-2)).toEqual(['-X', 'admin.hosts=secondary-broker-0:9644,secondary-broker-1:9644']);
    expect(shadowLinkStatusArgv('l', target).slice(-2)).toEqual(['-X', 'admin.hosts=secondary-broker-0:9644,secondary-broker-1:9644']);
  });
});

describe('parseShadowLinkStatus', () => {
  // The sample in Redpanda's docs, modules/manage/pages/disaster-recovery/shadowing/failover-runbook.adoc
  // ("Document current state"), names filled in. The docs mark it "TODO: Verify this output format".
  const docsText = `shadow link: failover-demo

Overview:
NAME                 failover-demo
UID                  0b4e5ad0-1111-2222-3333-444455556666
STATE                ACTIVE

Tasks:
Name                 Broker_ID  State   Reason
<task-name>          1          ACTIVE
<task-name>          2          ACTIVE

Topics:
Name: test-topic, State: ACTIVE

 Partition  SRC_LSO  SRC_HWM  DST_HWM  Lag
 0          1234     1468     1456     12
 1          2345     2579     2568     11
`;

  it('reads the docs\' text sample: link state, topics, summed lag', () => {
    const s = parseShadowLinkStatus(docsText);
    expect(s).toEqual({ name: 'failover-demo', state: 'ACTIVE', topics: [{ name: 'test-topic', state: 'ACTIVE', lag: 23 }], tasks: [], format: 'text' });
  });

  it('reads the docs\' failover sample (topics without partition tables) and rpk\'s ", ID:" form', () => {
    // failover-runbook.adoc "Monitor failover progress"; the ID form is rpk status.go's printStatusTopics.
    const s = parseShadowLinkStatus(`Overview:
NAME   failover-demo
STATE  ACTIVE

Topics:
Name: a, State: FAILED_OVER
Name: b, ID: 3f2c, State: FAILING_OVER

 Partition  SRC-LSO  SRC-HWM  DST-HWM  Lag
 0          5        9        9        0
`);
    expect(s.topics).toEqual([
      { name: 'a', state: 'FAILED_OVER' },
      { name: 'b', state: 'FAILING_OVER', lag: 0 },
    ]);
    expect(topicsNotInState(s, ['a', 'b', 'c'], 'FAILED_OVER')).toEqual(['b', 'c']);
  });

  // No JSON sample is documented; this follows rpk's struct tags (src/go/rpk/pkg/cli/shadow/status.go).
  const json = {
    overview: { name: 'failover-demo', id: 'uid-1', state: 'ACTIVE' },
    tasks: [{ name: 'Source Topic Sync', broker_id: 0, shard: 0, state: 'ACTIVE', reason: '' }],
    topics: [
      { name: 'orders', id: 't1', state: 'ACTIVE', partitions: [{ partition_id: 0, src_lso: 10, src_hwm: 12, dst_hwm: 9, lag: 3 }, { partition_id: 1, src_lso: 4, src_hwm: 4, dst_hwm: 4, lag: 0 }] },
      { name: 'test-topic', state: 'SHADOW_TOPIC_STATE_FAULTED', partitions: null },
    ],
    synced_shadow_topic_properties: null,
  };

  it('reads `--format json` (rpk\'s struct tags), trimming state prefixes and accepting null lists', () => {
    expect(parseShadowLinkStatus(JSON.stringify(json, null, 2))).toEqual({
      name: 'failover-demo',
      state: 'ACTIVE',
      topics: [
        { name: 'orders', state: 'ACTIVE', lag: 3 },
        { name: 'test-topic', state: 'FAULTED' },
      ],
      tasks: [{ name: 'Source Topic Sync', brokerId: 0, state: 'ACTIVE' }],
      format: 'json',
    });
    const empty = parseShadowLinkStatus(JSON.stringify({ overview: { name: 'l', state: 'PAUSED' }, tasks: null, topics: null }));
    expect(empty).toMatchObject({ state: 'PAUSED', topics: [], tasks: [] });
  });

  it('says what to check when the output is not a status', () => {
    for (const out of ['', 'unable to get Redpanda Shadow Link status "x": not found', '{"overview": {}}', '{ nope']) {
      expect(() => parseShadowLinkStatus(out), out).toThrow(UserError);
      try {
        parseShadowLinkStatus(out);
      } catch (e) {
        expect((e as UserError).hint).toContain('rpk shadow list');
      }
    }
  });
});
