/**
 * The effective topology: defaults (with REDPANDA_VERSION / ENVOY_VERSION), then the YAML config file,
 * then command-line flags; validated as a whole.
 *
 * File format: the Topology keys, every one optional; a key ending in `Ms` is written without the
 * suffix as a duration string, e.g.
 *   healthCheck: { interval: 1s, unhealthyThreshold: 2, intervalJitter: 100ms }
 *   envoy: { adminPort: 29901 }
 *   local: { basePort: 29000, heapMb: 256 }
 */
import { readFileSync } from 'node:fs';
import { parseDocument } from 'yaml';
import { defaultTopology, type Topology } from './topology.js';
import { topologySchema, type ConfigProblem } from './checks.js';
import { toConfigDocumentLoosely } from './file-form.js';
import { applyPatch, formatProblem, issueProblems, parseBrokersFlag, parseReplicationFlag, parseRewriteFlag, readConfigDocument } from './validate.js';
import { UserError } from '../util/errors.js';

export { toConfigDocument } from './file-form.js';

export interface TopologyOverrides {
  brokers?: number | string;
  rewrite?: string;
  replication?: string;
}

export interface LoadOptions {
  /** YAML config file; every value optional, merged over the defaults. */
  configFile?: string;
  /** Command-line flags, applied after the file. */
  overrides?: TopologyOverrides;
  /** REDPANDA_VERSION / ENVOY_VERSION pick image tags. */
  env?: Record<string, string | undefined>;
}

/** Invalid configuration: `problems` holds one line per problem, all of them in `message`. */
export class ConfigError extends UserError {
  constructor(
    readonly problems: string[],
    readonly source?: string,
    what = 'configuration',
    hint = '`failover-demo config --reference` lists every key with its default; durations are written like "3s" or "500ms"',
  ) {
    const where = source ? ` (${source})` : '';
    const count = problems.length === 1 ? '1 problem' : `${problems.length} problems`;
    super(`invalid ${what}${where}, ${count}:\n${problems.map((p) => `  - ${p}`).join('\n')}`, hint);
    this.name = 'ConfigError';
  }
}

/** A YAML file's document, or why it cannot be read (`flag`: the option that named the file). */
export function readFileProblems(configFile: string, flag = '--config'): { doc: unknown; problems: ConfigProblem[] } {
  let source: string;
  try {
    source = readFileSync(configFile, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a folder, not a file' : (err as Error).message;
    return { doc: undefined, problems: [{ path: flag, message: `cannot read ${configFile}: ${why}` }] };
  }
  const parsed = parseDocument(source, { prettyErrors: true, uniqueKeys: true });
  if (parsed.errors.length > 0) {
    return {
      doc: undefined,
      problems: parsed.errors.map((e) => ({ path: '', message: `not valid YAML: ${e.message.split('\n')[0]}` })),
    };
  }
  return { doc: parsed.toJS(), problems: [] };
}

/**
 * The default topics' replication factor follows the broker count (min(3, brokers)) unless the file
 * lists topics itself, so `--brokers 1` works without a config file.
 */
function fitDefaultTopics(t: Topology, topicsFromFile: boolean): Topology {
  if (topicsFromFile) return t;
  return { ...t, topics: t.topics.map((topic) => ({ ...topic, replicationFactor: Math.min(topic.replicationFactor, t.brokers) })) };
}

/** Defaults ← config file ← flags, validated; throws ConfigError listing every problem. */
export function loadTopology(options: LoadOptions = {}): Topology {
  const problems: ConfigProblem[] = [];
  let topology = defaultTopology(options.env ?? process.env);
  let topicsFromFile = false;

  if (options.configFile !== undefined) {
    const { doc, problems: fileProblems } = readFileProblems(options.configFile);
    problems.push(...fileProblems);
    if (fileProblems.length === 0) {
      const { patch, problems: docProblems } = readConfigDocument(doc);
      problems.push(...docProblems);
      topology = applyPatch(topology, patch);
      topicsFromFile = 'topics' in patch;
    }
  }

  const { brokers, rewrite, replication } = options.overrides ?? {};
  if (replication !== undefined) {
    const flag = parseReplicationFlag(replication);
    if (flag.problem) problems.push(flag.problem);
    else topology = { ...topology, replication: { ...topology.replication, mode: flag.value! } };
  }
  if (brokers !== undefined) {
    const flag = parseBrokersFlag(brokers);
    if (flag.problem) problems.push(flag.problem);
    else topology = { ...topology, brokers: flag.value! };
  }
  if (rewrite !== undefined) {
    const flag = parseRewriteFlag(rewrite);
    if (flag.problem) problems.push(flag.problem);
    else topology = { ...topology, rewrite: flag.value! };
  }

  topology = fitDefaultTopics(topology, topicsFromFile);
  const checked = topologySchema.safeParse(topology);
  if (!checked.success) problems.push(...issueProblems(checked.error, topology));
  if (problems.length > 0) throw new ConfigError(problems.map(formatProblem), options.configFile);
  return topology;
}

/**
 * A topology from whatever of `value` (a topology, perhaps written by another version, perhaps damaged)
 * is valid, with the defaults for the rest: so `stop` can still find what a damaged state file recorded.
 */
export function salvageTopology(value: unknown, env: Record<string, string | undefined> = {}): Topology {
  const { patch } = readConfigDocument(toConfigDocumentLoosely(value));
  return applyPatch(defaultTopology(env), patch);
}
