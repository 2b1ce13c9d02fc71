/**
 * Redpanda Shadowing (`replication.mode: shadow`, Docker runtime with real Redpanda): the shadow link
 * configuration file that `rpk shadow create --config-file` reads, and the rpk argument arrays that
 * enable, create, fail over and delete the link. The link lives on the secondary (shadow) cluster and
 * pulls from the primary (source) cluster. Pure: no I/O. `rpk shadow status` is parsed in
 * ./shadow-link-status.ts (re-exported here).
 *
 * Sources (Redpanda docs repository github.com/redpanda-data/docs, branch main as of 2026-08, and v/25.3):
 * - configuration file fields: modules/manage/pages/disaster-recovery/shadowing/setup.adoc
 *   (https://docs.redpanda.com/current/manage/disaster-recovery/shadowing/setup/, "Explore the
 *   configuration file", "Set filters", "Consumer group filtering and behavior", "Starting offset"), the
 *   same fields on v/25.3; cross-checked against rpk's own struct tags,
 *   github.com/redpanda-data/redpanda src/go/rpk/pkg/cli/shadow/types.go (ShadowLinkConfig), which rpk
 *   reads with gopkg.in/yaml.v2 (create.go), so `interval` takes a Go duration string ("30s", "500ms").
 * - rpk commands: modules/reference/pages/rpk/rpk-shadow/rpk-shadow-{create,status,failover,delete}.adoc
 *   (https://docs.redpanda.com/current/reference/rpk/rpk-shadow/rpk-shadow-create/ and siblings).
 * - `enable_shadow_linking`: modules/manage/partials/shadowing/shadow-link-prerequisites.adoc (on the
 *   shadow cluster only, since the docs fix of 2026-01-14; earlier pages said both clusters) and
 *   modules/reference/partials/properties/cluster-properties.adoc (default false, no restart,
 *   `true` needs an enterprise licence).
 */
import { stringify } from 'yaml';
import { brokersOf, type Topology } from '../config/topology.js';
import { UserError } from '../util/errors.js';

export * from './shadow-link-status.js';

/** The link's name on the secondary cluster. */
export const SHADOW_LINK_NAME = 'failover-demo';

/** The sync intervals the docs give as defaults (setup.adoc sample: `interval: 30s`; types.go: 0 → 30 s). */
export const DEFAULT_SHADOW_SYNC_INTERVALS = { topicMetadataMs: 30_000, consumerOffsetsMs: 30_000 } as const;

export interface ShadowLinkInput {
  /** Link name, e.g. SHADOW_LINK_NAME. */
  name: string;
  /** The source (primary) cluster's brokers as `host:port`, reachable from the shadow cluster. */
  sourceBootstrap: readonly string[];
  /** Topics to shadow; each becomes a LITERAL INCLUDE filter. */
  topics: readonly string[];
  /** How often the shadow cluster syncs topic metadata and consumer-group offsets. */
  intervals?: { topicMetadataMs: number; consumerOffsetsMs: number };
  /** Optional: the source's cluster id (`rpk cluster config get cluster_id`); the link refuses another cluster. */
  sourceClusterId?: string;
  /** Where a new shadow topic starts replicating; the docs' default is earliest. */
  startAt?: 'earliest' | 'latest';
}

/** Where rpk reaches the Admin API; without it rpk uses its profile / redpanda.yaml (in a broker container: that broker). */
export interface RpkTarget {
  adminHosts?: readonly string[];
}

/** One name filter as setup.adoc "Filter types and patterns" spells it. */
interface NameFilter {
  pattern_type: 'LITERAL' | 'PREFIX';
  filter_type: 'INCLUDE' | 'EXCLUDE';
  name: string;
}

/** The source's internal Kafka addresses: each primary broker's `internal` listener (see ./redpanda.ts). */
export function shadowSourceBootstrap(t: Topology): string[] {
  return brokersOf(t, 'primary').map((b) => `${b.name}:${t.redpanda.kafkaPort}`);
}

/** A Go duration string, as yaml.v2 decodes into time.Duration ("30s", "1500ms"). */
export function goDuration(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`;
}

/** Topics the docs say a LITERAL filter may not name ("System topic filtering rules"). */
const REJECTED_LITERAL_TOPICS = ['__consumer_offsets', '_redpanda.audit_log'];

function checkInput(input: ShadowLinkInput): void {
  // "The name must start and end with lowercase alphanumeric characters, hyphens allowed": setup.adoc's
  // Cloud UI rule; the self-managed pages state none, so this safe subset is assumed for both.
  if (!/^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$/.test(input.name)) {
    throw new UserError(`shadow link name "${input.name}" is not valid`, 'use lowercase letters, digits and hyphens, starting and ending with a letter or digit (e.g. "failover-demo")');
  }
  if (input.sourceBootstrap.length === 0) {
    throw new UserError('the shadow link has no source bootstrap servers', 'pass the primary brokers\' internal Kafka addresses (shadowSourceBootstrap(topology))');
  }
  for (const hp of input.sourceBootstrap) {
    if (!/^[^\s:]+:\d{1,5}$/.test(hp)) throw new UserError(`source bootstrap server "${hp}" is not host:port`, 'write it as host:port, e.g. primary-broker-0:9092');
  }
  if (input.topics.length === 0) throw new UserError('the shadow link names no topics to shadow', 'list the demo\'s topics (topology.topics) in topics');
  for (const topic of input.topics) {
    if (topic === '*' || topic.trim() === '' || REJECTED_LITERAL_TOPICS.includes(topic)) {
      throw new UserError(`"${topic}" cannot be a shadowed topic`, 'name ordinary topics only: Redpanda rejects literal filters for __consumer_offsets and _redpanda.audit_log');
    }
  }
  for (const [key, ms] of Object.entries(input.intervals ?? {})) {
    if (!Number.isInteger(ms) || ms <= 0) throw new UserError(`shadow link interval ${key} is ${ms}`, 'give a whole number of milliseconds above 0');
  }
}

/** The shadow link configuration as a plain object, field names as the docs and rpk's types.go spell them. */
export function buildShadowLinkConfig(input: ShadowLinkInput): Record<string, unknown> {
  checkInput(input);
  const intervals = input.intervals ?? DEFAULT_SHADOW_SYNC_INTERVALS;
  const topicFilters: NameFilter[] = input.topics.map((name) => ({ pattern_type: 'LITERAL', filter_type: 'INCLUDE', name }));
  // "Include all consumer groups": '*' must be the only character and needs LITERAL (types.go NameFilter).
  const groupFilters: NameFilter[] = [{ pattern_type: 'LITERAL', filter_type: 'INCLUDE', name: '*' }];
  return {
    name: input.name,
    // setup.adoc "Bootstrap servers"; no tls_settings / authentication_configuration: the demo's
    // internal listeners are plaintext without SASL.
    client_options: {
      bootstrap_servers: [...input.sourceBootstrap],
      ...(input.sourceClusterId ? { source_cluster_id: input.sourceClusterId } : {}),
    },
    // setup.adoc "Set filters" and "Starting offset for new shadow topics".
    topic_metadata_sync_options: {
      interval: goDuration(intervals.topicMetadataMs),
      auto_create_shadow_topic_filters: topicFilters,
      [input.startAt === 'latest' ? 'start_at_latest' : 'start_at_earliest']: {},
      paused: false,
    },
    // setup.adoc "Consumer group filtering and behavior": only offsets of active shadow topics sync.
    consumer_offset_sync_options: {
      interval: goDuration(intervals.consumerOffsetsMs),
      paused: false,
      group_filters: groupFilters,
    },
    // security_sync_options (ACLs) and schema_registry_sync_options are left out: the demo has no ACLs,
    // and its Schema Registry serves health checks only.
  };
}

/** The YAML text of the shadow link configuration file (`rpk shadow create --config-file FILE`). */
export function renderShadowLinkConfig(input: ShadowLinkInput): string {
  const head = [
    `# Shadow link "${input.name}", rendered by failover-demo (replication.mode: shadow). Create it on the`,
    '# secondary (shadow) cluster: rpk shadow create --config-file <this file> --no-confirm',
    '# Fields: https://docs.redpanda.com/current/manage/disaster-recovery/shadowing/setup/',
  ].join('\n');
  return `${head}\n\n${stringify(buildShadowLinkConfig(input))}`;
}

/** rpk's global -X override for the Admin API hosts, if given. */
function targetFlags(target: RpkTarget | undefined): string[] {
  const hosts = target?.adminHosts ?? [];
  return hosts.length > 0 ? ['-X', `admin.hosts=${hosts.join(',')}`] : [];
}

/*
 * Argument arrays: argv[0] is `rpk`, for `docker exec <secondary broker> ...` (or argv.slice(1) for a
 * local rpk). Each command that prompts gets --no-confirm, which every page below documents.
 */

/** Shadow-cluster prerequisite (shadow-link-prerequisites.adoc): `rpk cluster config set enable_shadow_linking true`. */
export function enableShadowLinkingArgv(target?: RpkTarget): string[] {
  return ['rpk', 'cluster', 'config', 'set', 'enable_shadow_linking', 'true', ...targetFlags(target)];
}

/** rpk-shadow-create.adoc: `-c, --config-file` (required) and `--no-confirm`. */
export function createShadowLinkArgv(configFile: string, target?: RpkTarget): string[] {
  return ['rpk', 'shadow', 'create', '--config-file', configFile, '--no-confirm', ...targetFlags(target)];
}

/**
 * rpk-shadow-status.adoc: `rpk shadow status <link_name>`, `--format json|yaml|text|wide|help`; with
 * json/yaml every section is printed. The v/25.3 reference lists --format from its 2025-12-12 update; the
 * first 25.3 reference (2025-11-19) did not, so `format: 'text'` leaves the flag out for such an rpk.
 */
export function shadowLinkStatusArgv(name: string, opts: { format?: 'json' | 'text' } & RpkTarget = {}): string[] {
  const format = opts.format ?? 'json';
  return ['rpk', 'shadow', 'status', name, ...(format === 'json' ? ['--format', 'json'] : []), ...targetFlags(opts)];
}

/** rpk-shadow-failover.adoc: `--all` fails over every shadow topic of the link (or `--topic NAME`). */
export function failoverShadowLinkArgv(name: string, opts: { topic?: string } & RpkTarget = {}): string[] {
  const which = opts.topic ? ['--topic', opts.topic] : ['--all'];
  return ['rpk', 'shadow', 'failover', name, ...which, '--no-confirm', ...targetFlags(opts)];
}

/**
 * rpk-shadow-delete.adoc: a link with active shadow topics is refused unless they were failed over first
 * or `-f, --force` is given (which fails them over and skips the prompt).
 */
export function deleteShadowLinkArgv(name: string, opts: { force?: boolean } & RpkTarget = {}): string[] {
  return ['rpk', 'shadow', 'delete', name, '--no-confirm', ...(opts.force ? ['--force'] : []), ...targetFlags(opts)];
}
